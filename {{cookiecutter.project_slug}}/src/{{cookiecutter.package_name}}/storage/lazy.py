"""A store that loads its backend (and the backend's SDK) on first use, not at import.

Importing a cloud SDK takes a few hundred milliseconds: at module level it would lengthen
every job process's start-up. ``LazyStore`` answers ``describe()`` from the settings and
loads the real store on the first call that needs it, or when ``open()`` is called (the
worker does that in a background thread once prewarm is done). Every call but
``describe()`` blocks: run them off the event loop, as the spool does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from .base import ObjectStore, ReadRange

if TYPE_CHECKING:
    from .integrity import Deadline


class Described(Protocol):
    """A backend's settings: enough to say where objects go, without its SDK."""

    def describe(self) -> str: ...


class BackendStore(ObjectStore, Protocol):
    def open(self) -> None:
        """Create the SDK client now instead of at the first call."""
        ...


class LazyStore:
    def __init__(self, config: Described, load: Callable[[Any], BackendStore]) -> None:
        self.config = config
        self._load = load
        self._store: BackendStore | None = None
        self._lock = threading.Lock()

    def _backend(self) -> BackendStore:
        with self._lock:
            if self._store is None:
                self._store = self._load(self.config)
            return self._store

    def open(self) -> None:
        """Import the backend and create its client now. Blocking; safe to call again.

        A failure raises and leaves nothing half-made: the next call tries again.
        """
        self._backend().open()

    def describe(self) -> str:
        return self.config.describe()

    def upload_file(self, path: Path, key: str, deadline: Deadline | None = None) -> str:
        return self._backend().upload_file(path, key, deadline)

    def upload_stream(self, source: BinaryIO, key: str, deadline: Deadline | None = None) -> str:
        return self._backend().upload_stream(source, key, deadline)

    def upload_bytes(self, data: bytes, key: str, deadline: Deadline | None = None) -> str:
        return self._backend().upload_bytes(data, key, deadline)

    def read_bytes(self, key: str) -> bytes:
        return self._backend().read_bytes(key)

    def delete(self, key: str) -> None:
        self._backend().delete(key)

    def list_keys(self, prefix: str = "") -> list[str]:
        return self._backend().list_keys(prefix)

    def read_range(self, key: str, start: int = 0, stop: int | None = None) -> ReadRange:
        return self._backend().read_range(key, start, stop)
