"""Amazon S3 and S3-compatible storage (MinIO, Cloudflare R2, Wasabi): the settings.

Credentials come from the standard AWS chain (environment, profile, instance or task
role) unless AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set explicitly.

No boto3 here: the store is in ``s3_store.py``, imported on first use (not at start-up).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..settings import ConfigError, env_flag, env_text

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-_]{1,61}[a-z0-9]", re.IGNORECASE)
_REGION = re.compile(r"[a-z0-9-]+")


@dataclass(frozen=True)
class S3Config:
    bucket: str
    region: str = "us-east-1"
    endpoint_url: str = ""
    force_path_style: bool = False
    access_key_id: str = field(default="", repr=False)
    secret_access_key: str = field(default="", repr=False)
    session_token: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> S3Config:
        bucket = env_text(
            env, "S3_BUCKET", why="the bucket that receives transcripts and recordings"
        )
        if not _BUCKET.fullmatch(bucket):
            raise ConfigError(
                f"S3_BUCKET={bucket!r} is not a bucket name (3-63 letters, digits, '.', '-'; "
                "no s3:// and no '/': put folders in STORAGE_PREFIX)"
            )
        region_variable = "AWS_REGION" if env_text(env, "AWS_REGION", "") else "AWS_DEFAULT_REGION"
        region = env_text(env, region_variable, "us-east-1")
        if not _REGION.fullmatch(region):
            raise ConfigError(
                f"{region_variable}={region!r} is not a region name such as us-east-1"
            )
        endpoint_url = env_text(env, "S3_ENDPOINT_URL", "")
        if endpoint_url and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", endpoint_url):
            raise ConfigError(
                f"S3_ENDPOINT_URL={endpoint_url!r} is not an http(s) URL such as https://minio.example.com"
            )
        access_key_id = env_text(env, "AWS_ACCESS_KEY_ID", "")
        secret_access_key = env_text(env, "AWS_SECRET_ACCESS_KEY", "")
        session_token = env_text(env, "AWS_SESSION_TOKEN", "")
        if access_key_id and not secret_access_key:
            raise ConfigError(
                "AWS_SECRET_ACCESS_KEY is not set: it is needed with AWS_ACCESS_KEY_ID"
            )
        if (secret_access_key or session_token) and not access_key_id:
            raise ConfigError(
                "AWS_ACCESS_KEY_ID is not set: it is needed with AWS_SECRET_ACCESS_KEY "
                "(or unset both to use the AWS credential chain)"
            )
        return cls(
            bucket=bucket,
            region=region,
            endpoint_url=endpoint_url,
            force_path_style=env_flag(env, "S3_FORCE_PATH_STYLE", False),
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            session_token=session_token,
        )

    def describe(self) -> str:
        return f"s3://{self.bucket}"
