"""Local storage settings and the folder's edges."""

from __future__ import annotations

import pytest

import storage_server
from {{ cookiecutter.package_name }}.storage import StorageError, open_store
from {{ cookiecutter.package_name }}.storage.local import LocalConfig


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
