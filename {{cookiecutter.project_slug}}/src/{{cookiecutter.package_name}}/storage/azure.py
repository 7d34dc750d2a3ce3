"""Azure Blob Storage through azure-storage-blob.

Least privilege: a container-scoped SAS in the connection string
(``BlobEndpoint=...;SharedAccessSignature=...``) with create, write and read permissions
(read for the size check after each upload); the ``check`` command also needs delete, and
listing (tests, tools) needs list. With Entra ID the equivalent is the data actions
``.../containers/blobs/write`` and ``.../containers/blobs/read`` on the container. An account
key (needed by LiveKit Egress) grants full access to the whole storage account: give the
recordings a storage account of their own.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from azure.core.exceptions import AzureError, HttpResponseError
from azure.storage.blob import BlobServiceClient, ContainerClient, LinearRetry

from ..settings import ConfigError, env_text
from .base import StorageError

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

_CONTAINER = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
DEVELOPMENT_ACCOUNT = "devstoreaccount1"


def parse_connection_string(value: str) -> dict[str, str]:
    """``Key=Value;...`` pairs of an Azure connection string, keys in lower case."""
    pairs = [part.split("=", 1) for part in value.strip().strip(";").split(";") if part]
    if not pairs or any(len(pair) != 2 for pair in pairs):
        raise ValueError("expected Key=Value pairs separated by ';'")
    return {name.strip().lower(): text.strip() for name, text in pairs}


@dataclass(frozen=True)
class AzureConfig:
    container: str
    connection_string: str = field(default="", repr=False)
    account_name: str = ""
    account_key: str = field(default="", repr=False)
    endpoint_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AzureConfig:
        container = env_text(
            env,
            "AZURE_STORAGE_CONTAINER",
            why="the container that receives transcripts and recordings",
        )
        if not _CONTAINER.fullmatch(container):
            raise ConfigError(
                f"AZURE_STORAGE_CONTAINER={container!r} is not a container name "
                "(3-63 lowercase letters, digits and single hyphens; put folders in STORAGE_PREFIX)"
            )
        connection_string = env_text(env, "AZURE_STORAGE_CONNECTION_STRING", "")
        account_name = env_text(env, "AZURE_STORAGE_ACCOUNT_NAME", "")
        account_key = env_text(env, "AZURE_STORAGE_ACCOUNT_KEY", "")
        endpoint_url = env_text(env, "AZURE_STORAGE_ENDPOINT_URL", "")
        if connection_string:
            for variable, value in [
                ("AZURE_STORAGE_ACCOUNT_KEY", account_key),
                ("AZURE_STORAGE_ENDPOINT_URL", endpoint_url),
            ]:
                if value:
                    raise ConfigError(
                        f"{variable} and AZURE_STORAGE_CONNECTION_STRING are both set; "
                        "keep only the connection string, or unset it"
                    )
            return cls.from_connection_string(container, connection_string)
        if not account_name and account_key:
            raise ConfigError(
                "AZURE_STORAGE_ACCOUNT_NAME is not set: it is needed with AZURE_STORAGE_ACCOUNT_KEY"
            )
        if not account_name:
            raise ConfigError(
                "AZURE_STORAGE_CONNECTION_STRING is not set: set it, or "
                "AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY"
            )
        if not account_key:
            raise ConfigError(
                "AZURE_STORAGE_ACCOUNT_KEY is not set: it is needed with AZURE_STORAGE_ACCOUNT_NAME"
            )
        _check_account_key("AZURE_STORAGE_ACCOUNT_KEY", account_key)
        if endpoint_url and not _URL.fullmatch(endpoint_url):
            raise ConfigError(
                f"AZURE_STORAGE_ENDPOINT_URL={endpoint_url!r} is not an http(s) URL such as "
                "http://127.0.0.1:10000/devstoreaccount1"
            )
        return cls(
            container=container,
            account_name=account_name,
            account_key=account_key,
            endpoint_url=endpoint_url.rstrip("/"),
        )

    @classmethod
    def from_connection_string(cls, container: str, connection_string: str) -> AzureConfig:
        """Keep the string for the SDK; also pick out the account name and key (for egress)."""
        try:
            parts = parse_connection_string(connection_string)
        except ValueError as error:
            raise ConfigError(f"AZURE_STORAGE_CONNECTION_STRING is malformed: {error}") from None
        if not {"accountname", "blobendpoint", "usedevelopmentstorage"} & parts.keys():
            raise ConfigError(
                "AZURE_STORAGE_CONNECTION_STRING has neither AccountName nor BlobEndpoint; "
                "copy it from the storage account's Access keys page"
            )
        account_key = parts.get("accountkey", "")
        if account_key:
            _check_account_key("AccountKey in AZURE_STORAGE_CONNECTION_STRING", account_key)
        blob_endpoint = parts.get("blobendpoint", "")
        if blob_endpoint and not _URL.fullmatch(blob_endpoint):
            raise ConfigError(
                "BlobEndpoint in AZURE_STORAGE_CONNECTION_STRING is not an http(s) URL"
            )
        return cls(
            container=container,
            connection_string=connection_string,
            account_name=parts.get("accountname") or _account_in(blob_endpoint),
            account_key=account_key,
        )

    @property
    def account_url(self) -> str:
        return self.endpoint_url or f"https://{self.account_name}.blob.core.windows.net"


def _account_in(blob_endpoint: str) -> str:
    """The account a blob endpoint serves: ``ACCOUNT.blob...``, or ``http://IP:PORT/ACCOUNT``."""
    if not blob_endpoint:
        return DEVELOPMENT_ACCOUNT  # UseDevelopmentStorage=true
    url = urlsplit(blob_endpoint)
    host = url.hostname or ""
    if host == "localhost" or host.replace(".", "").isdigit():
        return url.path.strip("/").split("/")[0]
    return host.split(".")[0]


def _check_account_key(variable: str, key: str) -> None:
    try:
        base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{variable} is not a base64 account key") from None


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


class AzureStore:
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
        return f"azure://{self.config.account_name}/{self.config.container}"

    def upload_file(self, path: Path, key: str) -> str:
        location = f"{self.describe()}/{key}"
        size = path.stat().st_size
        blob = self.container.get_blob_client(key)
        with _reason(f"upload to {location} failed"), open(path, "rb") as data:
            blob.upload_blob(data, length=size, overwrite=True, max_concurrency=4)
        with _reason(f"size check of {location} failed"):
            stored = blob.get_blob_properties().size
        if stored != size:
            raise StorageError(f"{location} holds {stored} bytes, expected {size}")
        return location

    def read_bytes(self, key: str) -> bytes:
        with _reason(f"read of {self.describe()}/{key} failed"):
            return self.container.download_blob(key).readall()

    def delete(self, key: str) -> None:
        with _reason(f"delete of {self.describe()}/{key} failed"):
            self.container.delete_blob(key)

    def list_keys(self, prefix: str = "") -> list[str]:
        with _reason(f"listing {self.describe()}/{prefix} failed"):
            return sorted(self.container.list_blob_names(name_starts_with=prefix or None))
