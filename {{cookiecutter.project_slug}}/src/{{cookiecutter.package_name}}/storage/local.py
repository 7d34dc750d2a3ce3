"""Local directory storage: ``transcripts/`` and ``recordings/`` under LOCAL_STORAGE_DIR.

Permissions: the worker's user must be able to create folders and files under the root.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..settings import ConfigError, env_text
from .base import StorageError


@dataclass(frozen=True)
class LocalConfig:
    root: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LocalConfig:
        root = Path(env_text(env, "LOCAL_STORAGE_DIR", ".")).resolve()
        if root.exists() and not root.is_dir():
            raise ConfigError(f"LOCAL_STORAGE_DIR={str(root)!r} is not a directory")
        return cls(root=root)


class LocalStore:
    def __init__(self, config: LocalConfig) -> None:
        self.root = config.root

    def describe(self) -> str:
        return f"file://{self.root}"

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"key {key!r} escapes {self.root}")
        return path

    def upload_file(self, path: Path, key: str) -> str:
        """Copy atomically: a temporary file in the target folder, fsync, rename."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            if os.path.getsize(tmp) != os.path.getsize(path):
                raise StorageError(f"short write to {target}")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_directory(target.parent)  # make the rename itself durable
        return target.as_uri()

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list_keys(self, prefix: str = "") -> list[str]:
        base = self.root / prefix if prefix else self.root
        if not base.exists():
            return []
        found = [p for p in base.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")]
        return sorted(p.relative_to(self.root).as_posix() for p in found)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
