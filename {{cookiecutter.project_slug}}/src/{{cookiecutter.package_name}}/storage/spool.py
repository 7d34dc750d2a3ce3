"""Durable saving: every file is written to a local spool first, then uploaded.

The spool mirrors the object layout (``<spool>/<key>``). A file leaves the spool only
after its upload was verified; if the upload fails it stays, the log names its path,
and the next worker start-up (or ``python -m {{ cookiecutter.package_name }} flush``)
uploads it. Files being written or uploaded are locked, so a concurrent flush skips them.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .base import ObjectStore, one_line

logger = logging.getLogger("{{ cookiecutter.package_name }}.storage")

TMP_PREFIX = ".tmp-"
# Few large writes: a thread that drops the GIL for many small ones keeps resetting the
# event loop's wait for it, so the loop could wait for the whole render.
WRITE_BUFFER = 1024 * 1024


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive advisory lock on ``path``; yields False if busy and not waiting."""
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key {key!r} escapes the spool directory")
        return path

    def write(self, key: str, data: bytes) -> Path:
        """Write ``data`` at ``key`` atomically (temporary file, fsync, rename)."""
        return self.write_chunks(key, [data])

    def write_text(self, key: str, chunks: Iterable[str]) -> Path:
        """Write text as UTF-8 at ``key`` atomically, encoding each chunk as it comes."""
        return self.write_chunks(key, (chunk.encode("utf-8") for chunk in chunks))

    def write_chunks(self, key: str, chunks: Iterable[bytes]) -> Path:
        """Write ``chunks`` at ``key`` atomically (temporary file, fsync, rename). Blocking."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=target.parent)
        try:
            with os.fdopen(fd, "wb", buffering=WRITE_BUFFER) as handle:
                handle.writelines(chunks)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def adopt(self, source: Path, key: str) -> Path:
        """Move ``source`` (e.g. from a job's temporary directory) into the spool."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=target.parent)
        os.close(fd)
        try:
            shutil.move(source, tmp)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def pending(self) -> list[str]:
        """Keys of finished files waiting for upload, oldest first."""
        if not self.root.is_dir():
            return []
        files = [
            p for p in self.root.rglob("*") if p.is_file() and not p.name.startswith(TMP_PREFIX)
        ]
        files.sort(key=lambda p: p.stat().st_mtime)
        return [p.relative_to(self.root).as_posix() for p in files]

    def remove(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == self.root.resolve() or not parent.is_relative_to(self.root.resolve()):
                break
            with contextlib.suppress(OSError):
                parent.rmdir()


@dataclass
class SaveResult:
    key: str
    location: str | None = None
    spooled_at: Path | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.location is not None


def upload_from_spool(
    store: ObjectStore, spool: Spool, key: str, *, wait: bool = True
) -> SaveResult:
    """Upload one spooled file and remove it after a verified upload. Blocking."""
    path = spool.path(key)
    try:
        with locked(path, wait=wait) as acquired:
            if not acquired:
                return SaveResult(key, spooled_at=path, error="in use by another process")
            if not path.exists():  # a concurrent flush uploaded it while we waited
                return SaveResult(key, location=f"{store.describe()}/{key}")
            location = store.upload_file(path, key)
    except FileNotFoundError:  # a concurrent flush uploaded and removed it first
        return SaveResult(key, location=f"{store.describe()}/{key}")
    except Exception as error:  # every backend failure keeps the file
        return SaveResult(key, spooled_at=path, error=one_line(error))
    spool.remove(key)
    return SaveResult(key, location=location)


async def save(store: ObjectStore, spool: Spool, key: str, *, timeout: float) -> SaveResult:
    """Upload a spooled file off the event loop, within ``timeout`` seconds.

    On failure the file stays in the spool and the log says where; it is never dropped.
    """
    try:
        result = await asyncio.wait_for(
            asyncio.to_thread(upload_from_spool, store, spool, key), timeout
        )
    except asyncio.TimeoutError:
        result = SaveResult(key, spooled_at=spool.path(key), error=f"timed out after {timeout:g}s")
    if result.ok:
        logger.info("saved %s", result.location)
    else:
        logger.error(
            "upload of %s to %s failed (%s); the file is kept at %s and will be uploaded by "
            "the next worker start-up or `python -m {{ cookiecutter.package_name }} flush`",
            key,
            store.describe(),
            result.error,
            result.spooled_at,
        )
    return result


def flush(
    store: ObjectStore, spool: Spool, *, progress: Callable[[str], None] | None = None
) -> list[SaveResult]:
    """Upload everything waiting in the spool. Blocking; skips files in use."""
    keys = spool.pending()
    results = []
    for number, key in enumerate(keys, start=1):
        result = upload_from_spool(store, spool, key, wait=False)
        results.append(result)
        if progress:
            status = result.location if result.ok else f"kept ({result.error})"
            progress(f"[{number}/{len(keys)}] {key}: {status}")
    return results
