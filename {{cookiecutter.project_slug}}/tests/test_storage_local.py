"""Local storage settings and the folder's edges."""

from __future__ import annotations

import pytest

import storage_server
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import StorageError, open_store
from {{ cookiecutter.package_name }}.storage.local import LocalConfig
from {{ cookiecutter.package_name }}.storage.spool import Spool


def test_a_file_as_storage_folder_is_refused_in_one_line(tmp_path):
    not_a_folder = tmp_path / "store"
    not_a_folder.write_text("")
    env = {"LOCAL_STORAGE_DIR": str(not_a_folder)}
    storage_server.assert_refused(env, "LOCAL_STORAGE_DIR")


def test_keys_cannot_leave_the_storage_folder(tmp_path):
    store = open_store(LocalConfig(root=(tmp_path / "store").resolve()))
    source = tmp_path / "source.txt"
    source.write_text("x")

    for key in ("../outside.txt", "a/../../outside.txt", ""):
        with pytest.raises(StorageError):
            store.upload_file(source, key)
    assert not (tmp_path / "outside.txt").exists()


def test_a_spool_overlapping_the_storage_folder_is_refused_in_one_line(tmp_path):
    store = tmp_path / "store"
    for spool_dir in (store, store / "transcripts", store / "recordings" / "spool", tmp_path):
        env = {"LOCAL_STORAGE_DIR": str(store), "SPOOL_DIR": str(spool_dir)}
        storage_server.assert_refused(env, "SPOOL_DIR")
    prefixed = {"LOCAL_STORAGE_DIR": str(store), "STORAGE_PREFIX": "calls"}
    storage_server.assert_refused(
        prefixed | {"SPOOL_DIR": str(store / "calls" / "transcripts")}, "SPOOL_DIR"
    )


def test_a_spool_beside_the_object_folders_is_accepted(tmp_path):
    store = tmp_path / "store"  # the Docker image: LOCAL_STORAGE_DIR=/data, SPOOL_DIR=/data/spool
    settings = Settings.from_env(
        {"LOCAL_STORAGE_DIR": str(store), "SPOOL_DIR": str(store / "spool")}
    )
    assert settings.spool_dir == (store / "spool").resolve()


def test_a_spool_file_is_never_uploaded_onto_itself(tmp_path):
    root = (tmp_path / "shared").resolve()
    spool = Spool(root)
    path = spool.write("transcripts/t.json", b"the only copy")
    local = open_store(LocalConfig(root=root))

    with pytest.raises(StorageError, match="overlap"):
        local.upload_file(path, "transcripts/t.json")
    assert path.read_bytes() == b"the only copy"
