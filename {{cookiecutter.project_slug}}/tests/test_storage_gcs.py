"""GCS settings: every wrong or missing one is refused in one line naming the variable."""

from __future__ import annotations

import json

import pytest

import storage_server
from {{ cookiecutter.package_name }}.storage.gcs import GCSConfig

SERVICE_ACCOUNT = {"type": "service_account", "project_id": "demo", "client_email": "a@b.c"}
CREDENTIALS_FILES = {
    "service-account.json": json.dumps(SERVICE_ACCOUNT),
    "not-json.json": "type = service_account",
    "no-type.json": json.dumps({"project_id": "demo"}),
}
BAD_SETTINGS = {
    "bucket missing": ({"GCS_BUCKET": None}, "GCS_BUCKET"),
    "bucket as URL": ({"GCS_BUCKET": "gs://recordings/calls"}, "GCS_BUCKET"),
    "bucket with capitals": ({"GCS_BUCKET": "Recordings"}, "GCS_BUCKET"),
    "credentials file missing": ({"GOOGLE_APPLICATION_CREDENTIALS": "absent.json"}, None),
    "credentials not JSON": ({"GOOGLE_APPLICATION_CREDENTIALS": "not-json.json"}, None),
    "credentials without type": ({"GOOGLE_APPLICATION_CREDENTIALS": "no-type.json"}, None),
    "endpoint without scheme": ({"GCS_ENDPOINT_URL": "localhost:4443"}, "GCS_ENDPOINT_URL"),
}


@pytest.fixture
def credentials_dir(tmp_path):
    folder = tmp_path / "credentials"
    folder.mkdir()
    for name, text in CREDENTIALS_FILES.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_bad_setting_is_refused_in_one_line(case, storage_env, credentials_dir):
    changes, variable = BAD_SETTINGS[case]
    if variable is None:  # a credentials file, relative to credentials_dir
        variable = "GOOGLE_APPLICATION_CREDENTIALS"
        changes = {variable: str(credentials_dir / changes[variable])}
    storage_server.assert_refused(storage_server.with_changes(storage_env, changes), variable)


def test_credentials_json_is_the_service_account_file(storage_env, credentials_dir):
    path = str(credentials_dir / "service-account.json")
    config = GCSConfig.from_env(storage_env | {"GOOGLE_APPLICATION_CREDENTIALS": path})

    assert json.loads(config.credentials_json()) == SERVICE_ACCOUNT
    assert GCSConfig.from_env(storage_env).credentials_json() == ""
