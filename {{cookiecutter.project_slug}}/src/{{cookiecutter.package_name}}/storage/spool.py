"""Durable saving: every file is written to a local spool first, then uploaded.

The spool mirrors the object layout (``<spool>/<key>``). A file leaves the spool only
after the service's stored checksum matched it; if the upload fails it stays, the log
names its path, and the next worker start-up (or ``python -m {{ cookiecutter.package_name }} flush``)
uploads it. Files being written or uploaded are locked, so a concurrent flush skips them.

Nothing is ever half there: a file is written under a ``.tmp-`` name (locked while it is
written), fsynced, then linked to its name, which it takes only if free (a second file for
the same key gets ``name-2.ext``). A ``.tmp-`` file left by a killed process is always
either incomplete or a copy of a file that still exists, so ``flush`` removes it.
Every upload has a wall-clock deadline; a transfer that outlives it is abandoned (its
thread left to die) and the file unlocked at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from . import locks
from .base import ObjectStore, fsync_directory, one_line
from .integrity import Deadline, DeadlineExceeded, candidate_keys

logger = logging.getLogger("{{ cookiecutter.package_name }}.storage")

TMP_PREFIX = ".tmp-"
JOURNAL_SUFFIX = ".partial.jsonl"  # a live journal; superseded by a final sibling
# A .tmp- file nobody has locked for this long belongs to a dead process.
STALE_TMP_SECONDS = 60.0
# Default wall-clock limits for one upload and for a whole flush.
UPLOAD_DEADLINE = 20.0
FLUSH_DEADLINE = 600.0
# Few large writes: a thread that drops the GIL for many small ones keeps resetting the
# event loop's wait for it, so the loop could wait for the whole render.
WRITE_BUFFER = 1024 * 1024
# Tests set this to a step name (see kill_point) to SIGKILL the process there.
KILL_AT_VARIABLE = "{{ cookiecutter.package_name | upper }}_KILL_AT"

T = TypeVar("T")


class SpoolError(OSError):
    """The spool could not be written (full disk, read-only, gone): one line, its ``errno``
    the cause's. Nothing of the file is left in the spool then."""


def kill_point(step: str) -> None:
    """Die here, as a killed worker would, if the kill-point variable names ``step``."""
    if os.environ.get(KILL_AT_VARIABLE) == step:
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))  # no SIGKILL on Windows


@contextlib.contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive lock on ``path``; yields False if busy and not waiting."""
    with open(path, "rb") as handle:
        if not locks.lock(handle.fileno(), wait=wait):
            yield False
            return
        try:
            yield True
        finally:
            locks.unlock(handle.fileno())


class Spool:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"key {key!r} escapes the spool directory")
        return path

    def key_of(self, path: Path) -> str:
        return path.resolve().relative_to(self.root.resolve()).as_posix()

    def write(self, key: str, data: bytes) -> Path:
        """Write ``data`` at ``key`` (or a free ``-2`` variant); return the path written."""
        return self.write_chunks(key, [data])

    def write_text(self, key: str, chunks: Iterable[str]) -> Path:
        """Write text as UTF-8 at ``key``, encoding each chunk as it comes.

        Unencodable characters (lone surrogates) become U+FFFD instead of failing the file.
        """
        return self.write_chunks(key, (_encode(chunk) for chunk in chunks))

    def write_chunks(self, key: str, chunks: Iterable[bytes]) -> Path:
        """Write ``chunks`` under a temporary name, fsync, then link it to ``key`` (or a
        free variant: an existing spool file is never replaced). Blocking.

        Raises ``SpoolError`` (one line) if the spool cannot take the file; nothing of it
        is left behind then.
        """
        target = self.path(key)
        with self._temporary(key, target.parent) as (handle, tmp):
            with open(handle.fileno(), "wb", buffering=WRITE_BUFFER, closefd=False) as out:
                out.writelines(chunks)
            os.fsync(handle.fileno())
            kill_point("write:synced")
            return self._link_free(tmp, key, "write")

    def adopt(self, source: Path, key: str) -> Path:
        """Move ``source`` (e.g. from a job's temporary directory) into the spool.

        On one filesystem it is a link and an unlink; across filesystems a locked copy,
        fsynced and linked into place before ``source`` is removed. A kill at any step
        leaves ``source`` or the spooled file complete, never neither. Blocking.
        """
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                placed = self._link_free(source, key, "adopt")
            except OSError as error:
                if error.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
                    raise
                placed = self._copy_in(source, key)
            kill_point("adopt:placed")
            source.unlink(missing_ok=True)
        except SpoolError:
            raise
        except OSError as error:
            raise self._error(key, error) from error
        return placed

    def _copy_in(self, source: Path, key: str) -> Path:
        with (
            self._temporary(key, self.path(key).parent) as (handle, tmp),
            open(source, "rb") as data,
            open(handle.fileno(), "wb", closefd=False) as out,
        ):
            shutil.copyfileobj(data, out, WRITE_BUFFER)
            out.flush()
            os.fsync(handle.fileno())
            kill_point("adopt:copied")
            return self._link_free(tmp, key, "adopt")

    @contextlib.contextmanager
    def _temporary(self, key: str, folder: Path) -> Iterator[tuple[BinaryIO, Path]]:
        """A locked temporary file in ``folder``, removed on the way out (linked or not)."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
        except OSError as error:
            raise self._error(key, error) from error
        tmp = Path(name)
        try:
            with open(fd, "r+b") as handle:
                locks.lock(handle.fileno())
                yield handle, tmp
        except SpoolError:
            raise
        except OSError as error:
            raise self._error(key, error) from error
        finally:
            tmp.unlink(missing_ok=True)

    def _link_free(self, source: Path, key: str, step: str) -> Path:
        """Link ``source`` to ``key``'s path or the first free variant; fsync the folder."""
        for candidate in candidate_keys(key):
            target = self.path(candidate)
            try:
                os.link(source, target)
            except FileExistsError:
                logger.warning("spool file %s exists: keeping both", target)
                continue
            fsync_directory(target.parent)
            kill_point(f"{step}:linked")
            return target
        raise SpoolError(f"{self.path(key)} and its variants all exist in the spool")

    def _error(self, key: str, error: OSError) -> SpoolError:
        reason = error.strerror or one_line(error)
        full = " (the disk is full)" if error.errno in (errno.ENOSPC, errno.EDQUOT) else ""
        failure = SpoolError(f"cannot write {key} to the spool {self.root}: {reason}{full}")
        failure.errno = error.errno
        return failure

    def pending(self) -> list[str]:
        """Keys of finished files waiting for upload, oldest first.

        Files may come and go meanwhile (another flush uploads them): those are skipped.
        """
        found = []
        for path in self._files():
            if path.name.startswith(TMP_PREFIX):
                continue
            with contextlib.suppress(FileNotFoundError):
                found.append((path.stat().st_mtime, path))
        found.sort(key=lambda item: item[0])
        return [p.relative_to(self.root).as_posix() for _, p in found]

    def _files(self) -> Iterator[Path]:
        """Every file under the root, ignoring hidden folders (``.check``) and vanishing ones."""
        for folder, folders, files in os.walk(self.root):
            folders[:] = [name for name in folders if not name.startswith(".")]
            for name in files:
                yield Path(folder, name)

    def recover(self) -> list[Path]:
        """Remove ``.tmp-`` files of dead processes: unlocked and untouched for a while.

        Such a file is an unfinished write (its content comes again from the journal or
        the source it was copied from, which still exists) or already linked into place.
        """
        removed = []
        now = time.time()
        for path in self._files():
            if not path.name.startswith(TMP_PREFIX):
                continue
            try:
                if now - path.stat().st_mtime < STALE_TMP_SECONDS:
                    continue
                with locked(path, wait=False) as free:
                    if free:
                        path.unlink()
                        removed.append(path)
            except FileNotFoundError:
                continue
        return removed

    def final_sibling(self, key: str) -> Path | None:
        """For a journal key, the final transcript that supersedes it, if spooled."""
        if not key.endswith(JOURNAL_SUFFIX):
            return None
        path = self.path(key)
        stem = path.name[: -len(JOURNAL_SUFFIX)] + "."
        with contextlib.suppress(FileNotFoundError):
            for sibling in path.parent.iterdir():
                name = sibling.name
                if name.startswith(stem) and not name.endswith(JOURNAL_SUFFIX):
                    return sibling
        return None

    def remove(self, key: str) -> None:
        path = self.path(key)
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == self.root.resolve() or not parent.is_relative_to(self.root.resolve()):
                break
            with contextlib.suppress(OSError):
                parent.rmdir()


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (os.fsdecode, an emoji cut in half)
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text).encode()


@dataclass
class SaveResult:
    key: str
    location: str | None = None
    spooled_at: Path | None = None
    error: str | None = None
    by_other: bool = False  # another process uploaded it first
    busy: bool = False  # another process held it
    superseded: bool = False  # a journal dropped for its final transcript

    @property
    def ok(self) -> bool:
        return self.location is not None or self.by_other or self.superseded


def with_deadline(call: Callable[[], T], deadline: Deadline) -> T:
    """Run ``call`` in a daemon thread and wait until ``deadline``; past it, abandon it.

    The SDKs time out single socket reads only: a server that trickles its answer would
    hold the call for ever. An abandoned thread cannot block the process from exiting,
    its reads of the file fail at once, and nothing it does later touches the spool.
    """
    done = threading.Event()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:
            outcome["error"] = error
        finally:
            done.set()

    threading.Thread(target=run, name="upload", daemon=True).start()
    if not done.wait(min(deadline.remaining(), threading.TIMEOUT_MAX)):
        deadline.abandoned = True
        raise DeadlineExceeded(f"timed out after {deadline.seconds:g}s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def upload_from_spool(
    store: ObjectStore,
    spool: Spool,
    key: str,
    *,
    wait: bool = True,
    timeout: float = UPLOAD_DEADLINE,
) -> SaveResult:
    """Upload one spooled file within ``timeout`` s; remove it once verified. Blocking."""
    path = spool.path(key)
    deadline = Deadline(timeout)
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below, after the unlock)
    except FileNotFoundError:  # a concurrent flush uploaded and removed it first
        return SaveResult(key, by_other=True)
    except OSError as error:
        return SaveResult(key, spooled_at=path, error=one_line(error))
    with handle:
        if not locks.lock(handle.fileno(), wait=wait, timeout=deadline.remaining()):
            return SaveResult(key, spooled_at=path, error="in use by another process", busy=True)
        try:
            return _upload_locked(store, spool, key, handle, deadline)
        finally:
            locks.unlock(handle.fileno())


def _upload_locked(
    store: ObjectStore, spool: Spool, key: str, handle: BinaryIO, deadline: Deadline
) -> SaveResult:
    path = spool.path(key)
    try:
        if os.stat(path).st_ino != os.fstat(handle.fileno()).st_ino:
            return SaveResult(key, by_other=True)  # replaced after we opened it
    except FileNotFoundError:  # a concurrent flush uploaded it while we waited
        return SaveResult(key, by_other=True)
    final = spool.final_sibling(key)
    if final is not None:
        spool.remove(key)
        logger.info("dropped journal %s: the final transcript %s replaces it", path, final)
        return SaveResult(key, superseded=True)
    reader = open(os.dup(handle.fileno()), "rb")  # noqa: SIM115 (the upload thread closes it)

    def upload() -> str:
        with reader:
            return store.upload_stream(reader, key, deadline)

    try:
        location = with_deadline(upload, deadline)
    except Exception as error:  # every backend failure keeps the file
        return SaveResult(key, spooled_at=path, error=one_line(error))
    kill_point("upload:stored")
    _drop_journal_of(spool, key)
    spool.remove(key)
    return SaveResult(key, location=location)


def _drop_journal_of(spool: Spool, key: str) -> None:
    """A final transcript is stored: its journal (left by a kill) must never be uploaded."""
    if key.endswith(JOURNAL_SUFFIX) or "/" not in key:
        return
    folder, _, name = key.rpartition("/")
    journal = f"{folder}/{name.split('.', 1)[0]}{JOURNAL_SUFFIX}"
    path = spool.path(journal)
    with contextlib.suppress(FileNotFoundError), locked(path, wait=False) as free:
        if free:  # a journal still locked belongs to a live session
            spool.remove(journal)


async def save(
    store: ObjectStore, spool: Spool, key: str, *, timeout: float = UPLOAD_DEADLINE
) -> SaveResult:
    """Upload a spooled file off the event loop, within ``timeout`` seconds.

    On failure the file stays in the spool and the log says where; it is never dropped.
    """
    result = await asyncio.to_thread(upload_from_spool, store, spool, key, timeout=timeout)
    _log(store, result)
    return result


async def save_direct(
    store: ObjectStore,
    key: str,
    *,
    path: Path | None = None,
    data: bytes | None = None,
    timeout: float = UPLOAD_DEADLINE,
) -> SaveResult:
    """Upload from where the file is (``path``) or from memory (``data``), bypassing a
    spool that cannot be written. Logs one line: saved, or lost and why."""
    deadline = Deadline(timeout)

    def upload() -> str:
        if path is not None:
            return store.upload_file(path, key, deadline)
        assert data is not None, "give path or data"
        return store.upload_bytes(data, key, deadline)

    try:
        location = await asyncio.to_thread(with_deadline, upload, deadline)
        result = SaveResult(key, location=location)
    except Exception as error:
        result = SaveResult(key, spooled_at=path, error=one_line(error))
    if result.ok:
        logger.info("saved %s (straight from %s)", result.location, path or "memory")
    elif path is not None:
        logger.error("upload of %s failed (%s); the file is only at %s", key, result.error, path)
    else:
        logger.error("upload of %s failed (%s); it is lost", key, result.error)
    return result


async def save_from(
    store: ObjectStore, spool: Spool, key: str, path: Path, *, timeout: float = UPLOAD_DEADLINE
) -> SaveResult:
    """Upload the file at ``path`` for ``key``: through the spool if it is spooled (under
    its own spool key, which is a ``-2`` variant if ``key`` was taken there), else
    straight from where it is (``save_direct``)."""
    if path.resolve().is_relative_to(spool.root.resolve()):
        return await save(store, spool, spool.key_of(path), timeout=timeout)
    return await save_direct(store, key, path=path, timeout=timeout)


def _log(store: ObjectStore, result: SaveResult) -> None:
    if result.ok:
        logger.info("saved %s", result.location or f"{store.describe()}/{result.key}")
    else:
        logger.error(
            "upload of %s to %s failed (%s); the file is kept at %s and will be uploaded by "
            "the next worker start-up or `python -m {{ cookiecutter.package_name }} flush`",
            result.key,
            store.describe(),
            result.error,
            result.spooled_at,
        )


def flush(
    store: ObjectStore,
    spool: Spool,
    *,
    progress: Callable[[str], None] | None = None,
    timeout: float = UPLOAD_DEADLINE,
    deadline: float = FLUSH_DEADLINE,
) -> list[SaveResult]:
    """Upload everything waiting in the spool within ``deadline`` s. Blocking.

    Files another process holds are tried again at the end (waiting for their lock): a
    file that process uploaded meanwhile counts as uploaded by it. A journal still locked
    belongs to a live session and is not waited for.
    """
    whole = Deadline(deadline)
    for stale in spool.recover():
        logger.info("removed %s, left by a process that died while writing it", stale)
    keys = sorted(spool.pending(), key=lambda k: k.endswith(JOURNAL_SUFFIX))  # journals last
    results: dict[str, SaveResult] = {}
    printed = 0
    for wait in (False, True):  # the second pass waits for the files that were busy
        for key in keys:
            if key in results and not results[key].busy:
                continue
            if wait and key.endswith(JOURNAL_SUFFIX):  # locked by its live session
                results[key].error = "in use by a live session"
                results[key].busy = False
                if progress:
                    printed += 1
                    progress(f"[{printed}/{len(keys)}] {key}: {describe_result(results[key])}")
                continue
            if whole.remaining() <= 0:
                error = f"flush deadline of {deadline:g}s reached"
                result = SaveResult(key, spooled_at=spool.path(key), error=error)
            else:
                seconds = min(timeout, whole.remaining())
                result = upload_from_spool(store, spool, key, wait=wait, timeout=seconds)
            results[key] = result
            if progress and (wait or not result.busy):
                printed += 1
                progress(f"[{printed}/{len(keys)}] {key}: {describe_result(result)}")
    return [results[key] for key in keys]


def describe_result(result: SaveResult) -> str:
    if result.location:
        return result.location
    if result.by_other:
        return "uploaded by another process"
    if result.superseded:
        return "dropped: its final transcript replaces this journal"
    return f"kept ({result.error})"


def flush_and_report(
    store: ObjectStore, spool: Spool, *, timeout: float, progress: Callable[[str], None]
) -> int:
    """``flush`` for the command line: one line per file, a summary; exit code 1 if any kept."""
    results = flush(store, spool, progress=progress, timeout=timeout)
    kept = [r for r in results if not r.ok]
    others = sum(r.by_other for r in results)
    dropped = sum(r.superseded for r in results)
    uploaded = len(results) - len(kept) - others - dropped
    summary = f"{uploaded} uploaded, {len(kept)} kept"
    summary += f", {others} uploaded by another process" if others else ""
    progress(summary + (f", {dropped} journals replaced by their transcript" if dropped else ""))
    return 1 if kept else 0
