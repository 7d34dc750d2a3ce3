"""The local directory store: atomic copies under LOCAL_STORAGE_DIR.

Permissions: the worker's user must be able to create folders and files under the root.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .base import RANGE_CHUNK, ReadRange, StorageError
from .local import LocalConfig


class LocalStore:
    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self.root = config.root

    def open(self) -> None:
        """Nothing to connect to: every call works on the folder directly."""

    def describe(self) -> str:
        return self.config.describe()

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

    def read_range(self, key: str, start: int = 0, stop: int | None = None) -> ReadRange:
        """The file's size, and its bytes ``[start, stop)`` read in ``RANGE_CHUNK`` pieces."""
        path = self._path(key)
        size = path.stat().st_size
        end = size if stop is None else min(stop, size)

        def chunks() -> Iterator[bytes]:
            with open(path, "rb") as handle:
                handle.seek(start)
                position = start
                while position < end:
                    data = handle.read(min(RANGE_CHUNK, end - position))
                    if not data:
                        raise StorageError(f"{path} shrank while it was read")
                    position += len(data)
                    yield data

        return size, chunks()


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
