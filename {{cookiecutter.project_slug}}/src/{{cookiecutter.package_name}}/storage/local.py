"""Local directory storage: ``transcripts/`` and ``recordings/`` under LOCAL_STORAGE_DIR.

The settings only; the store is in ``local_store.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..settings import ConfigError, env_text


@dataclass(frozen=True)
class LocalConfig:
    root: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LocalConfig:
        root = Path(env_text(env, "LOCAL_STORAGE_DIR", ".")).resolve()
        if root.exists() and not root.is_dir():
            raise ConfigError(f"LOCAL_STORAGE_DIR={str(root)!r} is not a directory")
        return cls(root=root)

    def describe(self) -> str:
        return f"file://{self.root}"
