"""What every storage backend provides. Calls block: run them off the event loop."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class StorageError(Exception):
    """A backend call failed. ``str(error)`` is the backend's reason in one line."""


class ObjectStore(Protocol):
    def describe(self) -> str:
        """Where objects go, without secrets, e.g. ``s3://bucket/prefix``."""
        ...

    def upload_file(self, path: Path, key: str) -> str:
        """Upload ``path`` to ``key`` and check the stored size; return its location."""
        ...

    def read_bytes(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def list_keys(self, prefix: str = "") -> list[str]: ...


def one_line(error: BaseException) -> str:
    """An exception as a single log-safe line."""
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:500]
