{%- set cls = {"local": "Local", "s3": "S3", "gcs": "GCS", "azure": "Azure"}[cookiecutter.storage_backend] -%}
"""Storage for transcripts and recordings: the {{ cookiecutter.storage_backend }} backend.

Only the settings are imported here; the store and its SDK load on first use (``lazy.py``).
"""

import functools

from . import {{ cookiecutter.storage_backend }} as backend
from .base import ObjectStore, StorageError
from .lazy import BackendStore, LazyStore

StorageConfig = backend.{{ cls }}Config
# The store and its SDK: imported once in livekit's forkserver (``preload_modules`` in
# ``archive.SERVER_OPTIONS``), so every job process starts with them loaded.
STORE_MODULE = f"{__name__}.{{ cookiecutter.storage_backend }}_store"


def _load_store(config: StorageConfig) -> BackendStore:
    """The real store. Imports the backend's SDK: call it off the event loop."""
    from .{{ cookiecutter.storage_backend }}_store import {{ cls }}Store

    return {{ cls }}Store(config)


@functools.lru_cache(maxsize=8)
def open_store(config: StorageConfig) -> LazyStore:
    """One store per process and configuration; its SDK loads on first use or ``open()``."""
    return LazyStore(config, _load_store)


__all__ = ["STORE_MODULE", "ObjectStore", "StorageConfig", "StorageError", "open_store"]
