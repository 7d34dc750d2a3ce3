"""Google Cloud Storage: the settings.

Credentials: the service-account JSON file named by GOOGLE_APPLICATION_CREDENTIALS, else
application default credentials (workload identity, ``gcloud auth application-default``).
GCS_ENDPOINT_URL points at an emulator; requests to it are anonymous unless a credentials
file is set.

No Google client library here: the store is in ``gcs_store.py``, imported on first use
(not at start-up).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..settings import ConfigError, env_text

_BUCKET = re.compile(r"[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]")


@dataclass(frozen=True)
class GCSConfig:
    bucket: str
    credentials_file: str = ""
    endpoint_url: str = ""
    project: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GCSConfig:
        bucket = env_text(
            env, "GCS_BUCKET", why="the bucket that receives transcripts and recordings"
        )
        if not _BUCKET.fullmatch(bucket):
            raise ConfigError(
                f"GCS_BUCKET={bucket!r} is not a bucket name (lowercase letters, digits, '.', "
                "'-', '_'; no gs:// and no '/': put folders in STORAGE_PREFIX)"
            )
        credentials_file = env_text(env, "GOOGLE_APPLICATION_CREDENTIALS", "")
        if credentials_file:
            _check_credentials_file(credentials_file)
        endpoint_url = env_text(env, "GCS_ENDPOINT_URL", "")
        if endpoint_url and not re.fullmatch(r"https?://[^\s/]+/?", endpoint_url):
            raise ConfigError(
                f"GCS_ENDPOINT_URL={endpoint_url!r} is not an http(s) URL such as "
                "http://127.0.0.1:4443"
            )
        return cls(
            bucket=bucket,
            credentials_file=credentials_file,
            endpoint_url=endpoint_url.rstrip("/"),
            project=env_text(env, "GOOGLE_CLOUD_PROJECT", ""),
        )

    def credentials_json(self) -> str:
        """The service-account JSON text (for egress); "" with application default credentials."""
        if not self.credentials_file:
            return ""
        return Path(self.credentials_file).read_text(encoding="utf-8")

    def describe(self) -> str:
        return f"gs://{self.bucket}"


def _check_credentials_file(path: str) -> None:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(
            f"GOOGLE_APPLICATION_CREDENTIALS={path!r} cannot be read: {error.strerror}"
        ) from None
    except ValueError:
        raise ConfigError(f"GOOGLE_APPLICATION_CREDENTIALS={path!r} is not a JSON file") from None
    if not isinstance(document, dict) or "type" not in document:
        raise ConfigError(
            f"GOOGLE_APPLICATION_CREDENTIALS={path!r} is not a credentials file "
            "(download a service-account key as JSON)"
        )
