"""Shared fixtures. ``settings`` points the agent at real storage for each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

import {{ cookiecutter.storage_backend }}_server as backend
import storage_server
from {{ cookiecutter.package_name }}.settings import Settings

# No per-example deadline: timing is for benchmarks, and a busy CI machine is not a bug.
hypothesis_settings.register_profile("project", deadline=None)
hypothesis_settings.load_profile("project")


@pytest.fixture(scope="session")
def storage_service(tmp_path_factory) -> Iterator[storage_server.StorageServer]:
    """The real {{ cookiecutter.storage_backend }} server for the whole session (see storage_server.py)."""
    server = backend.BackendServer(tmp_path_factory.mktemp("storage-server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def storage_env(storage_service) -> dict[str, str]:
    """Environment variables configuring the storage backend under test: a fresh bucket."""
    return storage_service.env(storage_service.new_bucket())


@pytest.fixture
def settings(tmp_path, storage_env) -> Settings:
    env = storage_env | {"SPOOL_DIR": str(tmp_path / "spool"), "UPLOAD_TIMEOUT": "5"}
    return Settings.from_env(env)
