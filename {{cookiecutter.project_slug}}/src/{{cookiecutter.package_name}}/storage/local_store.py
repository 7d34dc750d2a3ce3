"""The local directory store: verified, exclusive copies under LOCAL_STORAGE_DIR.

Permissions: the worker's user must be able to create folders and files under the root.

Each upload is written to a temporary file in the target folder, fsynced, then linked to
its name only if that name is free (an existing file is never replaced), and read back
to compare its MD5 with the source's.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from .base import ObjectExists, ReadRange, StorageError, file_range, fsync_directory
from .integrity import Deadline, Digest, VerifiedUploads, digest_of
from .local import LocalConfig

MiB = 1024 * 1024


class LocalStore(VerifiedUploads):
    part_size = 8 * MiB

    def __init__(self, config: LocalConfig) -> None:
        self.config = config
        self.root = config.root

    def open(self) -> None:
        """Nothing to connect to: every call works on the folder directly."""

    def describe(self) -> str:
        return self.config.describe()

    def location(self, key: str) -> str:
        return self._path(key).as_uri()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise StorageError(f"key {key!r} escapes {self.root}")
        return path

    def upload_stream(self, source: BinaryIO, key: str, deadline: Deadline | None = None) -> str:
        """Refuses to "upload" a file onto itself (a spool inside the storage folder):
        the spool would then delete the only copy."""
        target = self._path(key)
        with contextlib.suppress(OSError, AttributeError, io.UnsupportedOperation):
            if os.path.samestat(os.fstat(source.fileno()), os.stat(target)):
                raise StorageError(
                    f"{target} is the file being uploaded: SPOOL_DIR and LOCAL_STORAGE_DIR overlap"
                )
        return super().upload_stream(source, key, deadline)

    def put_new(self, source: BinaryIO, key: str, digest: Digest) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, MiB)
                out.flush()
                os.fsync(out.fileno())
            _link_new(Path(tmp), target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        fsync_directory(target.parent)  # make the new name itself durable

    def holds(self, key: str, digest: Digest) -> bool | None:
        target = self._path(key)
        try:
            with open(target, "rb") as stored:
                found = digest_of(stored, part_size=digest.part_size)
        except FileNotFoundError:
            return None
        return (found.size, found.md5) == (digest.size, digest.md5)

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
        return file_range(self._path(key), start, stop)


def _link_new(tmp: Path, target: Path) -> None:
    """Give ``tmp`` the name ``target`` only if no file has it (atomic, never replaces)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise ObjectExists(f"{target} exists") from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        # no hard links here (FAT, some network shares): claim the name, then fill it
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            raise ObjectExists(f"{target} exists") from None
        os.replace(tmp, target)
