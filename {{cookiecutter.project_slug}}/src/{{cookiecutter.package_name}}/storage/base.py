"""What every storage backend provides. Calls block: run them off the event loop."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    from .integrity import Deadline


class StorageError(Exception):
    """A backend call failed. ``str(error)`` is the backend's reason in one line."""


class ObjectExists(StorageError):
    """A conditional write found an object already at the key: nothing was overwritten."""


class ObjectStore(Protocol):
    def describe(self) -> str:
        """Where objects go, without secrets, e.g. ``s3://bucket/prefix``."""
        ...

    def upload_file(self, path: Path, key: str, deadline: Deadline | None = None) -> str:
        """Upload ``path`` to ``key`` and return its location, once the service's stored
        checksum matches the file. Never overwrites: a key taken by another object gets a
        ``-2``, ``-3``... variant (the returned location says which)."""
        ...

    def upload_stream(self, source: BinaryIO, key: str, deadline: Deadline | None = None) -> str:
        """``upload_file`` from an open, seekable binary file (read from its start)."""
        ...

    def upload_bytes(self, data: bytes, key: str, deadline: Deadline | None = None) -> str:
        """``upload_file`` for data in memory (when the spool cannot be written)."""
        ...

    def read_bytes(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def list_keys(self, prefix: str = "") -> list[str]: ...

    def read_range(self, key: str, start: int = 0, stop: int | None = None) -> ReadRange:
        """The object's size now, and its bytes ``[start, stop)`` streamed in chunks.

        ``stop`` is clamped to the size (None: to the end). Nothing is read before the
        first chunk is asked for, and no more than one chunk is held at a time.
        """
        ...


def fsync_directory(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (its directory entry)."""
    if os.name == "nt":  # Windows cannot open a folder to fsync it
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def one_line(error: BaseException) -> str:
    """An exception as a single log-safe line."""
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"[:500]


# (object size, chunks of the requested bytes): what ``ObjectStore.read_range`` returns.
ReadRange = tuple[int, Iterator[bytes]]
# Bytes a range read asks the backend for at a time (and so about the most it holds).
RANGE_CHUNK = 256 * 1024


def file_range(path: Path, start: int = 0, stop: int | None = None) -> ReadRange:
    """``read_range`` for a local file (the local store's objects, the spool's files)."""
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
