"""Azure Blob Storage: the settings, a connection string or an account name and key.

No Azure SDK here: the store is in ``azure_store.py``, imported on first use (not at
start-up).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..settings import ConfigError, env_text

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

    def describe(self) -> str:
        return f"azure://{self.account_name}/{self.container}"


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
