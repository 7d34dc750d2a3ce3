"""The Google Cloud Storage store, through google-cloud-storage.

Least privilege for the worker's service account, on the bucket: ``storage.objects.create``
(uploads) and ``storage.objects.get`` (the checksum check after each upload), e.g. the roles
Storage Object Creator plus Storage Object Viewer. The ``check`` command also needs
``storage.objects.delete``; listing (tests, tools) needs ``storage.objects.list``.

Integrity: every upload sends its crc32c, which GCS verifies (and the client checks the
object a resumable upload made); then the stored MD5, computed by the service, must
match the file. Writes are conditional (``ifGenerationMatch=0``): nothing is replaced.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

import google.auth
import urllib3
from google.api_core.exceptions import GoogleAPIError, NotFound, PreconditionFailed
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import GoogleAuthError
from google.cloud import storage
from google.cloud.storage.exceptions import DataCorruption, InvalidResponse
from google.cloud.storage.retry import DEFAULT_RETRY
from requests import RequestException

from .base import RANGE_CHUNK, ObjectExists, ReadRange, StorageError
from .gcs import GCSConfig
from .integrity import Digest, VerifiedUploads

MiB = 1024 * 1024
# Files above 8 MiB go up as a resumable upload in chunks of this size (a multiple of
# 256 KiB); an upload that never finishes leaves no object behind.
CHUNK_SIZE = 8 * MiB
# (connect, read) seconds per request, and the retry budget of each call: a dead
# endpoint gives up well inside UPLOAD_TIMEOUT and the file waits in the spool.
TIMEOUT = (3, 10)
RETRY = DEFAULT_RETRY.with_timeout(8)
GCS_RANGE_CHUNK = 4 * RANGE_CHUNK

_FAILURES = (
    GoogleAPIError,
    GoogleAuthError,
    RequestException,
    ConnectionError,
    http.client.HTTPException,
    urllib3.exceptions.HTTPError,
    InvalidResponse,
    DataCorruption,
)


@contextlib.contextmanager
def _reason(action: str) -> Iterator[None]:
    """Turn Google client errors into a StorageError carrying the backend's reason."""
    try:
        yield
    except _FAILURES as error:
        raise StorageError(f"{action}: {_text(error)}") from error


def _text(error: BaseException) -> str:
    return " ".join(str(error).split())


class GCSStore(VerifiedUploads):
    part_size = CHUNK_SIZE

    def __init__(self, config: GCSConfig) -> None:
        self.config = config
        self._bucket: storage.Bucket | None = None
        self._lock = threading.Lock()

    @property
    def bucket(self) -> storage.Bucket:
        """The bucket handle; the client (and its credentials) load on first use."""
        with self._lock:
            if self._bucket is None:
                with _reason("cannot open Google Cloud Storage"):
                    self._bucket = self._make_client().bucket(self.config.bucket)
            return self._bucket

    def open(self) -> None:
        """Create the client and load its credentials now instead of at the first call."""
        self.bucket  # noqa: B018 (the property creates it)

    def _make_client(self) -> storage.Client:
        config = self.config
        credentials: Any = None
        project = config.project or None
        if config.credentials_file:
            credentials, file_project = google.auth.load_credentials_from_file(
                config.credentials_file, scopes=storage.Client.SCOPE
            )
            project = project or file_project
        elif config.endpoint_url:
            credentials, project = AnonymousCredentials(), project or "local"
        options = {"api_endpoint": config.endpoint_url} if config.endpoint_url else None
        return storage.Client(project=project, credentials=credentials, client_options=options)

    def describe(self) -> str:
        return self.config.describe()

    def put_new(self, source: BinaryIO, key: str, digest: Digest) -> None:
        blob = self.bucket.blob(key, chunk_size=CHUNK_SIZE)
        try:
            blob.upload_from_file(
                source,
                size=digest.size,
                checksum="crc32c",
                if_generation_match=0,
                timeout=TIMEOUT,
                retry=RETRY,
            )
        except PreconditionFailed as error:
            raise ObjectExists(f"{self.location(key)} exists") from error
        except DataCorruption as error:  # the object exists, corrupt: remove what we made
            with contextlib.suppress(*_FAILURES):
                blob.delete(timeout=TIMEOUT, retry=RETRY)
            raise StorageError(f"upload to {self.location(key)} failed: {_text(error)}") from error
        except _FAILURES as error:
            raise StorageError(f"upload to {self.location(key)} failed: {_text(error)}") from error

    def holds(self, key: str, digest: Digest) -> bool | None:
        blob = self.bucket.blob(key)
        try:
            with _reason(f"checksum check of {self.location(key)} failed"):
                blob.reload(timeout=TIMEOUT, retry=RETRY)
        except StorageError as error:
            if isinstance(error.__cause__, NotFound):
                return None
            raise
        if not blob.md5_hash:
            raise StorageError(f"{self.location(key)} has no MD5: the upload cannot be verified")
        return blob.size == digest.size and blob.md5_hash == digest.md5_base64

    def read_bytes(self, key: str) -> bytes:
        with _reason(f"read of {self.describe()}/{key} failed"):
            return self.bucket.blob(key).download_as_bytes(timeout=TIMEOUT, retry=RETRY)

    def delete(self, key: str) -> None:
        with _reason(f"delete of {self.describe()}/{key} failed"):
            self.bucket.blob(key).delete(timeout=TIMEOUT, retry=RETRY)

    def list_keys(self, prefix: str = "") -> list[str]:
        with _reason(f"listing {self.describe()}/{prefix} failed"):
            blobs = self.bucket.list_blobs(prefix=prefix or None, timeout=TIMEOUT, retry=RETRY)
            return sorted(blob.name for blob in blobs)

    def read_range(self, key: str, start: int = 0, stop: int | None = None) -> ReadRange:
        """The object's size, and its bytes ``[start, stop)`` as ranged downloads of
        ``GCS_RANGE_CHUNK`` each (one request per chunk; fewer, larger ones than the
        other backends, since each is a round trip)."""
        location = f"{self.describe()}/{key}"
        blob = self.bucket.blob(key)
        with _reason(f"size of {location} failed"):
            blob.reload(timeout=TIMEOUT, retry=RETRY)
        size = int(blob.size or 0)
        end = size if stop is None else min(stop, size)

        def chunks() -> Iterator[bytes]:
            position = start
            while position < end:
                last = min(position + GCS_RANGE_CHUNK, end) - 1
                with _reason(f"read of {location} failed"):
                    data = blob.download_as_bytes(
                        start=position, end=last, checksum=None, timeout=TIMEOUT, retry=RETRY
                    )
                if not data:
                    raise StorageError(f"read of {location} failed: no bytes at {position}")
                position += len(data)
                yield data

        return size, chunks()
