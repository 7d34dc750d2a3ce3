{%- set cls = {"local": "Local", "s3": "S3", "gcs": "GCS", "azure": "Azure"}[cookiecutter.storage_backend] -%}
"""Storage for transcripts and recordings: the {{ cookiecutter.storage_backend }} backend."""

from . import {{ cookiecutter.storage_backend }} as backend
from .base import ObjectStore, StorageError

StorageConfig = backend.{{ cls }}Config


def open_store(config: StorageConfig) -> ObjectStore:
    return backend.{{ cls }}Store(config)


__all__ = ["ObjectStore", "StorageConfig", "StorageError", "open_store"]
