{%- set cls = {"local": "Local", "s3": "S3", "gcs": "GCS", "azure": "Azure"}[cookiecutter.storage_backend] -%}
"""Storage for transcripts and recordings: the {{ cookiecutter.storage_backend }} backend."""

from .base import ObjectStore, StorageError
from .{{ cookiecutter.storage_backend }} import {{ cls }}Config as StorageConfig
from .{{ cookiecutter.storage_backend }} import {{ cls }}Store


def open_store(config: StorageConfig) -> ObjectStore:
    return {{ cls }}Store(config)


__all__ = ["ObjectStore", "StorageConfig", "StorageError", "open_store"]
