{%- set cls = {"local": "Local", "s3": "S3", "gcs": "GCS", "azure": "Azure"}[cookiecutter.storage_backend] -%}
"""Storage for transcripts and recordings: the {{ cookiecutter.storage_backend }} backend."""

import functools

from . import {{ cookiecutter.storage_backend }} as backend
from .base import ObjectStore, StorageError

StorageConfig = backend.{{ cls }}Config


@functools.lru_cache(maxsize=8)
def open_store(config: StorageConfig) -> ObjectStore:
    """One store (and SDK client, made on first use) per process and configuration."""
    return backend.{{ cls }}Store(config)


__all__ = ["ObjectStore", "StorageConfig", "StorageError", "open_store"]
