"""The Google Cloud Storage store, through google-cloud-storage.

Least privilege for the worker's service account, on the bucket: ``storage.objects.create``
(uploads) and ``storage.objects.get`` (the size check after each upload), e.g. the roles
Storage Object Creator plus Storage Object Viewer. Replacing an existing object and the
``check`` command also need ``storage.objects.delete``; listing (tests, tools) needs
``storage.objects.list``.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import google.auth
import urllib3
from google.api_core.exceptions import GoogleAPIError
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import GoogleAuthError
from google.cloud import storage
from google.cloud.storage.exceptions import DataCorruption, InvalidResponse
from google.cloud.storage.retry import DEFAULT_RETRY
from requests import RequestException

from .base import RANGE_CHUNK, ReadRange, StorageError
from .gcs import GCSConfig

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
        raise StorageError(f"{action}: {' '.join(str(error).split())}") from error


class GCSStore:
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

    def upload_file(self, path: Path, key: str) -> str:
        location = f"{self.describe()}/{key}"
        size = path.stat().st_size
        blob = self.bucket.blob(key, chunk_size=CHUNK_SIZE)
        with _reason(f"upload to {location} failed"):
            blob.upload_from_filename(str(path), timeout=TIMEOUT, retry=RETRY)
        with _reason(f"size check of {location} failed"):
            blob.reload(timeout=TIMEOUT, retry=RETRY)
        if blob.size != size:
            raise StorageError(f"{location} holds {blob.size} bytes, expected {size}")
        return location

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
