"""Shared fixtures. ``settings`` points the agent at real storage for each test."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.settings import Settings


@pytest.fixture
def storage_env(tmp_path) -> dict[str, str]:
    """Environment variables configuring the storage backend under test."""
    return {"LOCAL_STORAGE_DIR": str(tmp_path / "store")}


@pytest.fixture
def settings(tmp_path, storage_env) -> Settings:
    env = storage_env | {"SPOOL_DIR": str(tmp_path / "spool"), "UPLOAD_TIMEOUT": "5"}
    return Settings.from_env(env)
