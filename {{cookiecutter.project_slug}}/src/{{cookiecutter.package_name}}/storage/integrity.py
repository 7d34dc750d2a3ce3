"""End-to-end integrity and never-overwrite, the same on every backend.

Each store sends a checksum the service verifies on receipt (S3 flexible checksums, GCS
crc32c, Azure Content-MD5 per request) and writes only if no object exists at the key
(S3 ``If-None-Match: *``, GCS ``ifGenerationMatch=0``, Azure ``If-None-Match: *``, an
exclusive link on a local disk). ``upload_verified`` then compares what the service says
it stored with the digest computed here, before anything leaves the spool. A key that is
taken by a different object is never overwritten: the file goes to ``name-2.ext``,
``name-3.ext``, ...; a key holding the very same bytes (an earlier attempt that was cut off
after the upload) counts as uploaded.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from .base import ObjectExists, StorageError, one_line

logger = logging.getLogger("{{ cookiecutter.package_name }}.storage")

BLOCK = 1024 * 1024
MAX_COPIES = 20  # name-2 ... name-20: more collisions than that is not bad luck


class DeadlineExceeded(StorageError):
    """The upload ran past its wall-clock deadline and was abandoned."""


@dataclass
class Deadline:
    """A wall-clock limit for one transfer; ``check()`` raises once it has passed."""

    seconds: float
    at: float = field(init=False)
    abandoned: bool = False

    def __post_init__(self) -> None:
        self.at = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    def check(self) -> None:
        if self.abandoned or time.monotonic() >= self.at:
            raise DeadlineExceeded(f"timed out after {self.seconds:g}s")


class DeadlineReader:
    """A file the SDK reads the upload from: every read past the deadline raises.

    botocore, requests and azure-core time out only single socket operations, so a server
    that reads slowly (or a throttled link) would otherwise hold the upload for ever.
    No ``fileno()``: nothing can read around the deadline with ``sendfile``.
    """

    def __init__(self, raw: BinaryIO, deadline: Deadline) -> None:
        self._raw = raw
        self._deadline = deadline

    def read(self, size: int = -1) -> bytes:
        self._deadline.check()
        return self._raw.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:
        self._deadline.check()
        return self._raw.readinto(buffer)  # type: ignore[attr-defined]

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        """The caller owns the file: closing the reader leaves it open."""

    @property
    def closed(self) -> bool:
        return self._raw.closed


@dataclass(frozen=True)
class Digest:
    """What the stores compare with what the service reports it stored."""

    size: int
    md5: bytes
    crc32: int
    part_size: int
    part_md5s: tuple[bytes, ...]

    @property
    def md5_base64(self) -> str:
        return base64.b64encode(self.md5).decode()

    @property
    def crc32_base64(self) -> str:
        return base64.b64encode(self.crc32.to_bytes(4, "big")).decode()

    def multipart_etag(self) -> str:
        """S3's ETag of a multipart upload in parts of ``part_size``: md5 of the part md5s."""
        joined = hashlib.md5(b"".join(self.part_md5s), usedforsecurity=False).hexdigest()
        return f"{joined}-{len(self.part_md5s)}"


def digest_of(source: BinaryIO, *, part_size: int = 8 * BLOCK) -> Digest:
    """One pass over ``source`` (from where it is; seeks back there afterwards)."""
    start = source.tell()
    md5 = hashlib.md5(usedforsecurity=False)
    crc32, size, parts = 0, 0, []
    part = hashlib.md5(usedforsecurity=False)
    in_part = 0
    while block := source.read(min(BLOCK, part_size - in_part)):
        md5.update(block)
        part.update(block)
        crc32 = zlib.crc32(block, crc32)
        size += len(block)
        in_part += len(block)
        if in_part == part_size:
            parts.append(part.digest())
            part, in_part = hashlib.md5(usedforsecurity=False), 0
    if in_part or not parts:
        parts.append(part.digest())
    source.seek(start)
    return Digest(size, md5.digest(), crc32, part_size, tuple(parts))


class VerifiedStore(Protocol):
    """What a backend implements so that ``upload_verified`` can drive it."""

    part_size: int

    def describe(self) -> str: ...

    def put_new(self, source: BinaryIO, key: str, digest: Digest) -> None:
        """Create ``key`` from ``source`` with a checksum the service verifies.

        Raises ``ObjectExists`` if an object is already there (nothing is overwritten).
        """
        ...

    def holds(self, key: str, digest: Digest) -> bool | None:
        """Whether ``key`` holds exactly ``digest`` (per the service's stored checksum);
        ``None`` if there is no object at ``key``."""
        ...

    def delete(self, key: str) -> None: ...


def candidate_keys(key: str) -> Iterator[str]:
    """``key``, then ``name-2.ext``, ``name-3.ext``, ... in the same folder."""
    yield key
    folder, _, name = key.rpartition("/")
    stem, dot, extension = name.partition(".")
    for number in range(2, MAX_COPIES + 1):
        renamed = f"{stem}-{number}{dot}{extension}"
        yield f"{folder}/{renamed}" if folder else renamed


def upload_verified(
    store: VerifiedStore, source: BinaryIO, key: str, deadline: Deadline | None = None
) -> str:
    """Upload ``source`` to ``key`` (or a free variant of it); return the key it is at.

    Returns only once the service's stored checksum matches the bytes read here.
    """
    deadline = deadline or Deadline(float("inf"))
    digest = digest_of(source, part_size=store.part_size)
    for candidate in candidate_keys(key):
        deadline.check()
        source.seek(0)
        try:
            store.put_new(DeadlineReader(source, deadline), candidate, digest)
        except ObjectExists:
            if store.holds(candidate, digest):  # an earlier attempt stored these very bytes
                return candidate
            logger.warning("%s/%s holds another object: keeping both", store.describe(), candidate)
            continue
        deadline.check()
        if store.holds(candidate, digest):
            return candidate
        _discard(store, candidate)
        raise StorageError(
            f"{store.describe()}/{candidate}: the stored checksum does not match the file "
            "(corrupted in transit); the file is kept"
        )
    raise StorageError(f"{store.describe()}/{key} and {MAX_COPIES - 1} variants are all taken")


def _discard(store: VerifiedStore, key: str) -> None:
    """Remove the corrupt object this upload just created (if the credentials allow it)."""
    try:
        store.delete(key)
    except Exception as error:  # least-privilege credentials may not delete: keep going
        logger.warning("could not delete corrupt %s/%s: %s", store.describe(), key, one_line(error))


class VerifiedUploads:
    """``upload_file`` and ``upload_bytes`` for a store that implements ``VerifiedStore``."""

    def location(self: VerifiedStore, key: str) -> str:
        return f"{self.describe()}/{key}"

    def upload_stream(self, source: BinaryIO, key: str, deadline: Deadline | None = None) -> str:
        return self.location(upload_verified(self, source, key, deadline))  # type: ignore[arg-type]

    def upload_file(self, path: Path, key: str, deadline: Deadline | None = None) -> str:
        with open(path, "rb") as source:
            return self.upload_stream(source, key, deadline)

    def upload_bytes(self, data: bytes, key: str, deadline: Deadline | None = None) -> str:
        return self.upload_stream(io.BytesIO(data), key, deadline)
