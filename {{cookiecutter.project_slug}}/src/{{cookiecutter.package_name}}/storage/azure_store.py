"""The Azure Blob Storage store, through azure-storage-blob.

Least privilege: a container-scoped SAS in the connection string
(``BlobEndpoint=...;SharedAccessSignature=...``) with create, write and read permissions
(read for the size check after each upload); the ``check`` command also needs delete, and
listing (tests, tools) needs list. With Entra ID the equivalent is the data actions
``.../containers/blobs/write`` and ``.../containers/blobs/read`` on the container. An account
key (needed by LiveKit Egress) grants full access to the whole storage account: give the
recordings a storage account of their own.

Integrity: every request carries the MD5 of its bytes (``validate_content``), which the
service verifies, and the blob records the MD5 of the whole file, which must match after
the upload. Writes are conditional (``If-None-Match: *``): nothing is replaced.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import BinaryIO

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
)
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings, LinearRetry

from .azure import AzureConfig
from .base import RANGE_CHUNK, ObjectExists, ReadRange, StorageError
from .integrity import Digest, VerifiedUploads

MiB = 1024 * 1024
# Files above MAX_SINGLE_PUT go up as blocks of BLOCK_SIZE, committed at the end: an
# upload that never commits leaves no blob behind.
MAX_SINGLE_PUT = 8 * MiB
BLOCK_SIZE = 4 * MiB
# Per-request timeouts and two quick retries: a dead endpoint gives up well inside
# UPLOAD_TIMEOUT (the SDK's default back-off alone is 15 s) and the file waits in the spool.
CONNECTION_TIMEOUT = 3
READ_TIMEOUT = 10
RETRY_TOTAL = 2
AZURE_RANGE_CHUNK = 4 * RANGE_CHUNK


def _reason_text(error: AzureError) -> str:
    """The first line of the service's message (its full text adds request ids and XML)."""
    if isinstance(error, HttpResponseError) and error.error_code:
        lines = (error.message or "").splitlines()
        return f"{error.error_code} ({error.status_code}): {lines[0] if lines else ''}"
    return " ".join(str(error).split())


@contextlib.contextmanager
def _reason(action: str) -> Iterator[None]:
    """Turn Azure SDK errors into a StorageError carrying the backend's reason."""
    try:
        yield
    except AzureError as error:
        raise StorageError(f"{action}: {_reason_text(error)}") from error


class AzureStore(VerifiedUploads):
    part_size = BLOCK_SIZE

    def __init__(self, config: AzureConfig) -> None:
        self.config = config
        self._container: ContainerClient | None = None
        self._lock = threading.Lock()

    @property
    def container(self) -> ContainerClient:
        """The container client, created on first use (off the event loop, once per store)."""
        with self._lock:
            if self._container is None:
                self._container = self._make_service().get_container_client(self.config.container)
            return self._container

    def open(self) -> None:
        """Create the service and container clients now instead of at the first call."""
        self.container  # noqa: B018 (the property creates it)

    def _make_service(self) -> BlobServiceClient:
        options = {
            "connection_timeout": CONNECTION_TIMEOUT,
            "read_timeout": READ_TIMEOUT,
            "retry_policy": LinearRetry(backoff=1, random_jitter_range=1, retry_total=RETRY_TOTAL),
            "max_single_put_size": MAX_SINGLE_PUT,
            "max_block_size": BLOCK_SIZE,
        }
        config = self.config
        if config.connection_string:
            return BlobServiceClient.from_connection_string(config.connection_string, **options)
        credential = {"account_name": config.account_name, "account_key": config.account_key}
        return BlobServiceClient(config.account_url, credential=credential, **options)

    def describe(self) -> str:
        return self.config.describe()

    def put_new(self, source: BinaryIO, key: str, digest: Digest) -> None:
        blob = self.container.get_blob_client(key)
        try:
            blob.upload_blob(
                source,
                length=digest.size,
                overwrite=False,
                validate_content=True,
                content_settings=ContentSettings(content_md5=bytearray(digest.md5)),
                max_concurrency=1,  # in this thread: see spool.with_deadline
            )
        except ResourceExistsError as error:
            raise ObjectExists(f"{self.location(key)} exists") from error
        except AzureError as error:
            raise StorageError(
                f"upload to {self.location(key)} failed: {_reason_text(error)}"
            ) from error

    def holds(self, key: str, digest: Digest) -> bool | None:
        blob = self.container.get_blob_client(key)
        try:
            properties = blob.get_blob_properties()
        except ResourceNotFoundError:
            return None
        except AzureError as error:
            raise StorageError(
                f"checksum check of {self.location(key)} failed: {_reason_text(error)}"
            ) from error
        stored = properties.content_settings.content_md5
        if not stored:
            raise StorageError(f"{self.location(key)} has no MD5: the upload cannot be verified")
        return properties.size == digest.size and bytes(stored) == digest.md5

    def read_bytes(self, key: str) -> bytes:
        with _reason(f"read of {self.describe()}/{key} failed"):
            return self.container.download_blob(key).readall()

    def delete(self, key: str) -> None:
        with _reason(f"delete of {self.describe()}/{key} failed"):
            self.container.delete_blob(key)

    def list_keys(self, prefix: str = "") -> list[str]:
        with _reason(f"listing {self.describe()}/{prefix} failed"):
            return sorted(self.container.list_blob_names(name_starts_with=prefix or None))

    def read_range(self, key: str, start: int = 0, stop: int | None = None) -> ReadRange:
        """The blob's size, and its bytes ``[start, stop)`` as ranged downloads of
        ``AZURE_RANGE_CHUNK`` each (one download of the whole range would first fetch up
        to the client's 32 MiB single-get size into memory)."""
        location = f"{self.describe()}/{key}"
        blob = self.container.get_blob_client(key)
        with _reason(f"size of {location} failed"):
            size = blob.get_blob_properties().size
        end = size if stop is None else min(stop, size)

        def chunks() -> Iterator[bytes]:
            position = start
            while position < end:
                length = min(AZURE_RANGE_CHUNK, end - position)
                with _reason(f"read of {location} failed"):
                    data = blob.download_blob(offset=position, length=length).readall()
                if not data:
                    raise StorageError(f"read of {location} failed: no bytes at {position}")
                position += len(data)
                yield data

        return size, chunks()
