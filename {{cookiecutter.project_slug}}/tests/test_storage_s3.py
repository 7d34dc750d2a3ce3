"""S3 settings: every wrong or missing one is refused in one line naming the variable."""

from __future__ import annotations

import dataclasses

import pytest

import storage_server
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.s3 import S3Config

BAD_SETTINGS = {
    "bucket missing": ({"S3_BUCKET": None}, "S3_BUCKET"),
    "bucket as URL": ({"S3_BUCKET": "s3://recordings/calls"}, "S3_BUCKET"),
    "region not a region": ({"AWS_REGION": "US East"}, "AWS_REGION"),
    "default region not a region": (
        {"AWS_REGION": None, "AWS_DEFAULT_REGION": "eu west"},
        "AWS_DEFAULT_REGION",
    ),
    "endpoint without scheme": ({"S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL"),
    "path style not a boolean": ({"S3_FORCE_PATH_STYLE": "sometimes"}, "S3_FORCE_PATH_STYLE"),
    "key id without secret": ({"AWS_SECRET_ACCESS_KEY": None}, "AWS_SECRET_ACCESS_KEY"),
    "secret without key id": ({"AWS_ACCESS_KEY_ID": None}, "AWS_ACCESS_KEY_ID"),
}


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_bad_setting_is_refused_in_one_line(case, storage_env):
    changes, variable = BAD_SETTINGS[case]
    storage_server.assert_refused(storage_server.with_changes(storage_env, changes), variable)


def test_secrets_stay_out_of_reprs(storage_env):
    settings = Settings.from_env(storage_env | {"AWS_SESSION_TOKEN": "session-token-value"})

    assert settings.storage.session_token == "session-token-value"
    for secret in ("testing", "session-token-value"):
        assert secret not in repr(settings)
    # the egress recording reads these fields to build its S3Upload
    assert {f.name for f in dataclasses.fields(S3Config)} == {
        "bucket", "region", "endpoint_url", "force_path_style",
        "access_key_id", "secret_access_key", "session_token",
    }  # fmt: skip


def test_without_keys_the_aws_credential_chain_is_used(storage_env, tmp_path, monkeypatch):
    keys = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}
    config = Settings.from_env(storage_server.with_changes(storage_env, keys)).storage
    assert config.access_key_id == ""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-chain")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-the-chain")
    probe = tmp_path / "probe.txt"
    probe.write_bytes(b"chain")

    store = open_store(config)
    store.upload_file(probe, "probe.txt")

    assert store.read_bytes("probe.txt") == b"chain"
