"""Azure settings: every wrong or missing one is refused in one line naming the variable."""

from __future__ import annotations

import base64
import dataclasses
import re

import pytest

import azure_server
import storage_server
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.azure import AzureConfig

ACCOUNT, ACCOUNT_KEY = azure_server.ACCOUNT, azure_server.ACCOUNT_KEY
NO_KEYS = {"AZURE_STORAGE_ACCOUNT_NAME": None, "AZURE_STORAGE_ACCOUNT_KEY": None}
BAD_SETTINGS = {
    "container missing": ({"AZURE_STORAGE_CONTAINER": None}, "AZURE_STORAGE_CONTAINER"),
    "container with capitals": ({"AZURE_STORAGE_CONTAINER": "Calls"}, "AZURE_STORAGE_CONTAINER"),
    "container as path": ({"AZURE_STORAGE_CONTAINER": "calls/2026"}, "AZURE_STORAGE_CONTAINER"),
    "no credentials": (NO_KEYS, "AZURE_STORAGE_CONNECTION_STRING"),
    "name without key": ({"AZURE_STORAGE_ACCOUNT_KEY": None}, "AZURE_STORAGE_ACCOUNT_KEY"),
    "key without name": ({"AZURE_STORAGE_ACCOUNT_NAME": None}, "AZURE_STORAGE_ACCOUNT_NAME"),
    "key not base64": ({"AZURE_STORAGE_ACCOUNT_KEY": "not a key!"}, "AZURE_STORAGE_ACCOUNT_KEY"),
    "endpoint without scheme": (
        {"AZURE_STORAGE_ENDPOINT_URL": "127.0.0.1:10000"},
        "AZURE_STORAGE_ENDPOINT_URL",
    ),
    "connection string malformed": (
        NO_KEYS | {"AZURE_STORAGE_CONNECTION_STRING": "devstoreaccount1"},
        "AZURE_STORAGE_CONNECTION_STRING",
    ),
    "connection string without account": (
        NO_KEYS | {"AZURE_STORAGE_CONNECTION_STRING": "DefaultEndpointsProtocol=https"},
        "AZURE_STORAGE_CONNECTION_STRING",
    ),
    "connection string and key": (
        {"AZURE_STORAGE_CONNECTION_STRING": f"AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY}"},
        "AZURE_STORAGE_ACCOUNT_KEY",
    ),
}


@pytest.mark.parametrize("case", BAD_SETTINGS)
def test_bad_setting_is_refused_in_one_line(case, storage_env):
    changes, variable = BAD_SETTINGS[case]
    storage_server.assert_refused(storage_server.with_changes(storage_env, changes), variable)


def connection_string_env(storage_env: dict[str, str]) -> dict[str, str]:
    endpoint = storage_env["AZURE_STORAGE_ENDPOINT_URL"]
    connection_string = (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};"
        f"AccountKey={ACCOUNT_KEY};BlobEndpoint={endpoint};"
    )
    changes = NO_KEYS | {
        "AZURE_STORAGE_ENDPOINT_URL": None,
        "AZURE_STORAGE_CONNECTION_STRING": connection_string,
    }
    return storage_server.with_changes(storage_env, changes)


def test_a_connection_string_works_and_yields_the_account_for_egress(storage_env, tmp_path):
    config = Settings.from_env(connection_string_env(storage_env)).storage
    # the egress recording reads these fields to build its AzureBlobUpload
    assert (config.account_name, config.account_key) == (ACCOUNT, ACCOUNT_KEY)
    assert config.container == storage_env["AZURE_STORAGE_CONTAINER"]
    probe = tmp_path / "probe.txt"
    probe.write_bytes(b"connection string")

    store = open_store(config)
    location = store.upload_file(probe, "probe.txt")

    assert location == f"azure://{ACCOUNT}/{config.container}/probe.txt"
    assert store.read_bytes("probe.txt") == b"connection string"


def test_secrets_stay_out_of_reprs(storage_env):
    for env in (storage_env, connection_string_env(storage_env)):
        settings = Settings.from_env(env)
        assert ACCOUNT_KEY not in repr(settings)
        assert ACCOUNT_KEY[:20] not in repr(settings)
    secret_fields = {f.name for f in dataclasses.fields(AzureConfig) if not f.repr}
    assert secret_fields == {"connection_string", "account_key"}


def test_a_sas_connection_string_names_its_account(storage_env):
    sas = "BlobEndpoint=https://callsarchive.blob.core.windows.net;SharedAccessSignature=sv=x&sig=y"
    env = storage_server.with_changes(storage_env, NO_KEYS | {"AZURE_STORAGE_ENDPOINT_URL": None})
    config = AzureConfig.from_env(env | {"AZURE_STORAGE_CONNECTION_STRING": sas})

    assert (config.account_name, config.account_key) == ("callsarchive", "")
    assert open_store(config).describe() == f"azure://callsarchive/{config.container}"


def test_check_fails_in_one_line_with_a_wrong_account_key(storage_env, tmp_path):
    wrong = base64.b64encode(b"not the account key" * 3).decode()
    env = storage_server.cli_env(storage_env | {"AZURE_STORAGE_ACCOUNT_KEY": wrong}, tmp_path)

    checked = storage_server.run_cli("check", env=env, cwd=tmp_path)

    assert checked.returncode == 1, checked.stdout
    [line] = checked.stderr.strip().splitlines()
    assert line.startswith("error: storage check failed: ")
    assert re.search(r"AuthorizationFailure|403|Authentication", line), line
    assert wrong not in checked.stdout + checked.stderr
