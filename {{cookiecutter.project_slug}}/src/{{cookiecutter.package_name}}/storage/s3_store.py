"""The S3 store, through boto3.

Least-privilege IAM policy for the worker, on ``arn:aws:s3:::BUCKET/PREFIX*``:
``s3:PutObject`` and ``s3:AbortMultipartUpload`` (uploads), ``s3:GetObject`` (the
checksum check after each upload reads the object's metadata). The ``check`` command
also needs ``s3:DeleteObject``; listing (tests, tools) needs ``s3:ListBucket`` on the bucket.

Integrity: every upload carries its CRC32 (a full-object checksum, also for multipart
uploads), which S3 verifies on receipt, even through a custom endpoint. Afterwards the
stored CRC32 (when the service reports one) and the ETag (the MD5 of the bytes stored,
unless the object is KMS- or customer-key-encrypted) must match what was read from disk.
Writes are conditional (``If-None-Match: *``), so an existing object is never replaced.

A worker killed during a multipart upload leaves its parts stored (and billed) but no
object: give the bucket a lifecycle rule that aborts incomplete multipart uploads.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any, BinaryIO

import boto3
from boto3.exceptions import Boto3Error, S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from .base import RANGE_CHUNK, ObjectExists, ReadRange, StorageError
from .integrity import Digest, VerifiedUploads
from .s3 import S3Config

MiB = 1024 * 1024
# Files above this size go up in parts; a part that fails is retried on its own, and
# an upload that never completes leaves no object behind.
PART_SIZE = 8 * MiB
# A dead endpoint fails within about 3 attempts x CONNECT_TIMEOUT, well inside UPLOAD_TIMEOUT.
CONNECT_TIMEOUT = 3
READ_TIMEOUT = 10
MAX_ATTEMPTS = 3


@contextlib.contextmanager
def _reason(action: str) -> Iterator[None]:
    """Turn boto errors into a StorageError carrying the backend's reason."""
    try:
        yield
    except NoCredentialsError as error:
        raise StorageError(
            f"{action}: {error} (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "an AWS profile or an instance role)"
        ) from error
    except (BotoCoreError, Boto3Error, ClientError) as error:
        # upload_file wraps the service's error in a message about local paths: unwrap it
        reason = error.__context__ if isinstance(error, S3UploadFailedError) else error
        raise StorageError(f"{action}: {' '.join(str(reason or error).split())}") from error


class S3Store(VerifiedUploads):
    part_size = PART_SIZE

    def __init__(self, config: S3Config) -> None:
        self.config = config
        # In the calling thread (no s3transfer pool): an upload abandoned at its deadline
        # then lives in a daemon thread, and a hung server cannot hold the process's exit.
        self.transfer = TransferConfig(
            multipart_threshold=PART_SIZE, multipart_chunksize=PART_SIZE, use_threads=False
        )
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The boto3 client, created on first use (off the event loop, once per store)."""
        with self._lock:
            if self._client is None:
                self._client = self._make_client()
            return self._client

    def open(self) -> None:
        """Create the client now instead of at the first call."""
        self.client  # noqa: B018 (the property creates it)

    def _make_client(self) -> Any:
        config = self.config
        session = boto3.session.Session(
            aws_access_key_id=config.access_key_id or None,
            aws_secret_access_key=config.secret_access_key or None,
            aws_session_token=config.session_token or None,
            region_name=config.region,
        )
        # S3-compatible services reject the newer default checksum headers of boto3; every
        # upload sends its own CRC32 instead (put_new), which they do accept.
        checksums = "when_required" if config.endpoint_url else "when_supported"
        client = session.client(
            "s3",
            endpoint_url=config.endpoint_url or None,
            config=Config(
                retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                s3={"addressing_style": "path" if config.force_path_style else "auto"},
                request_checksum_calculation=checksums,
                response_checksum_validation=checksums,
            ),
        )
        # s3transfer does not pass IfNoneMatch through: add it to the two calls that create
        # an object, so that an upload never replaces one.
        for operation in ("PutObject", "CompleteMultipartUpload"):
            client.meta.events.register(f"before-parameter-build.s3.{operation}", _if_none_match)
        return client

    def describe(self) -> str:
        return self.config.describe()

    def put_new(self, source: BinaryIO, key: str, digest: Digest) -> None:
        extra = {"ChecksumCRC32": digest.crc32_base64}
        try:
            self.client.upload_fileobj(
                source, self.config.bucket, key, ExtraArgs=extra, Config=self.transfer
            )
        except (ClientError, S3UploadFailedError) as error:
            if _code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise ObjectExists(f"{self.location(key)} exists") from error
            with _reason(f"upload to {self.location(key)} failed"):
                raise

    def holds(self, key: str, digest: Digest) -> bool | None:
        with _reason(f"checksum check of {self.location(key)} failed"):
            try:
                head = self.client.head_object(
                    Bucket=self.config.bucket, Key=key, ChecksumMode="ENABLED"
                )
            except ClientError as error:
                if _code(error) in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
        if head["ContentLength"] != digest.size:
            return False
        checks = []
        crc32 = head.get("ChecksumCRC32")
        if crc32 and head.get("ChecksumType", "FULL_OBJECT") == "FULL_OBJECT":
            checks.append(crc32 == digest.crc32_base64)
        etag = head.get("ETag", "").strip('"')
        if not head.get("ServerSideEncryption", "").startswith("aws:kms") and not head.get(
            "SSECustomerAlgorithm"
        ):
            if "-" in etag:
                checks.append(etag == digest.multipart_etag())
            elif len(etag) == 32:
                checks.append(etag == digest.md5.hex())
        if not checks:
            raise StorageError(
                f"{self.location(key)}: the service reports neither a CRC32 nor an MD5 ETag, "
                "so the upload cannot be verified"
            )
        return all(checks)

    def read_bytes(self, key: str) -> bytes:
        with _reason(f"read of {self.describe()}/{key} failed"):
            return self.client.get_object(Bucket=self.config.bucket, Key=key)["Body"].read()

    def delete(self, key: str) -> None:
        with _reason(f"delete of {self.describe()}/{key} failed"):
            self.client.delete_object(Bucket=self.config.bucket, Key=key)

    def list_keys(self, prefix: str = "") -> list[str]:
        with _reason(f"listing {self.describe()}/{prefix} failed"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.config.bucket, Prefix=prefix
            )
            return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def read_range(self, key: str, start: int = 0, stop: int | None = None) -> ReadRange:
        """The object's size (a HEAD), and its bytes ``[start, stop)`` streamed from one
        ranged GET in ``RANGE_CHUNK`` pieces."""
        location = f"{self.describe()}/{key}"
        with _reason(f"size of {location} failed"):
            size = self.client.head_object(Bucket=self.config.bucket, Key=key)["ContentLength"]
        end = size if stop is None else min(stop, size)

        def chunks() -> Iterator[bytes]:
            if start >= end:
                return
            with _reason(f"read of {location} failed"):
                body = self.client.get_object(
                    Bucket=self.config.bucket, Key=key, Range=f"bytes={start}-{end - 1}"
                )["Body"]
                try:
                    yield from body.iter_chunks(RANGE_CHUNK)
                finally:
                    body.close()

        return size, chunks()


def _if_none_match(params: dict[str, Any], **_: Any) -> None:
    params["IfNoneMatch"] = "*"


def _code(error: Exception) -> str:
    """The S3 error code of a failed call (also when s3transfer wrapped it)."""
    cause = error.__context__ if isinstance(error, S3UploadFailedError) else error
    response = getattr(cause, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))
