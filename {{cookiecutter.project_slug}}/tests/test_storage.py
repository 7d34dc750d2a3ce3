"""Storage on a real {{ cookiecutter.storage_backend }} server: uploads, outages, the CLI, the key layout.

The server comes from the ``storage_service`` fixture (tests/storage_server.py) and can be
stopped and restarted mid-test; every test gets a fresh bucket through ``storage_env``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import storage_server
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import StorageError, open_store
from {{ cookiecutter.package_name }}.storage.layout import (
    MAX_SEGMENT,
    new_session_id,
    object_key,
    safe_prefix,
)
from {{ cookiecutter.package_name }}.storage.spool import Spool, flush, save

STARTED_AT = 1_795_000_000.0  # 2026-11-18, a fixed session start
MiB = 1024 * 1024
SEGMENT = re.compile(r"[A-Za-z0-9._-]+")


@pytest.fixture
def store(settings):
    return open_store(settings.storage)


@pytest.fixture
def spool(settings):
    return Spool(settings.spool_dir)


@pytest.fixture
def cli_env(storage_env, settings):
    return storage_server.cli_env(storage_env, settings.spool_dir)


def session_key(
    kind: str, filename: str, *, room: str = "support desk", job_id: str = "AJ_1"
) -> str:
    return object_key("prod", kind, filename, room=room, job_id=job_id, started_at=STARTED_AT)


async def test_transcript_and_recording_round_trip(store, spool):
    transcript_key = session_key("transcripts", "transcript.json")
    recording_key = session_key("recordings", "recording.ogg")
    files = {transcript_key: '{"entries": ["héllo"]}'.encode(), recording_key: os.urandom(5 * MiB)}
    for key, data in files.items():
        spool.write(key, data)

    # in parallel, as SessionArchive.close does
    results = await asyncio.gather(*(save(store, spool, key, timeout=20) for key in files))

    assert [r.error for r in results] == [None, None]
    assert [r.location for r in results] == [f"{store.describe()}/{key}" for key in files]
    assert store.list_keys("prod/") == sorted(files)
    for key, data in files.items():
        assert store.read_bytes(key) == data
    assert spool.pending() == []


async def test_outage_keeps_the_file_and_flush_uploads_it_later(
    storage_service, cli_env, store, spool, tmp_path, caplog
):
    key = session_key("transcripts", "transcript.json")
    data = b'{"entries": []}'
    spooled = spool.write(key, data)

    with storage_service.outage(), caplog.at_level(logging.ERROR):
        result = await save(store, spool, key, timeout=30)

    assert not result.ok
    assert re.search(storage_service.outage_reason, result.error), result.error
    assert spooled.read_bytes() == data
    assert spool.pending() == [key]
    assert str(spooled) in caplog.text, "the log must say where the file is kept"

    flushed = storage_server.run_cli("flush", env=cli_env, cwd=tmp_path)

    assert flushed.returncode == 0, flushed.stderr
    assert "1 uploaded, 0 kept" in flushed.stdout
    assert store.read_bytes(key) == data
    assert spool.pending() == []
    assert not spooled.exists()


async def test_sessions_in_the_same_room_at_the_same_second_do_not_overwrite(store, spool):
    first = session_key("transcripts", "transcript.json", room="lobby", job_id="AJ_first")
    second = session_key("transcripts", "transcript.json", room="lobby", job_id="AJ_second")
    assert first != second
    spool.write(first, b"first session")
    spool.write(second, b"second session")

    for key in (first, second):
        assert (await save(store, spool, key, timeout=20)).ok

    assert store.read_bytes(first) == b"first session"
    assert store.read_bytes(second) == b"second session"


KILL_AT_COMMIT = """
import importlib, os, signal, sys
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.spool import Spool, upload_from_spool

server_module, key = sys.argv[1:]
commits_upload = importlib.import_module(server_module).commits_upload
settings = Settings.from_env()
store, spool = open_store(settings.storage), Spool(settings.spool_dir)


def kill_at_commit(event, args):
    if commits_upload(event, args):
        os.kill(os.getpid(), signal.SIGKILL)


sys.addaudithook(kill_at_commit)
upload_from_spool(store, spool, key)
"""


@pytest.mark.skipif(sys.version_info < (3, 11), reason="http.client audit events need 3.11")
def test_upload_killed_before_it_completes_leaves_no_object(
    storage_service, cli_env, store, spool, tmp_path
):
    # Larger than every backend's single-request limit (8 MiB), so it goes up in parts;
    # the process dies just before the step that makes the object exist.
    key = session_key("recordings", "recording.ogg")
    data = os.urandom(12 * MiB)
    spool.write(key, data)

    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_COMMIT, type(storage_service).__module__, key],
        # no .pyc writes: they rename files too, and would trip the local backend's hook
        env=cli_env | {"PYTHONDONTWRITEBYTECODE": "1"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert store.list_keys("prod/") == []
    with pytest.raises((StorageError, OSError)):
        store.read_bytes(key)
    assert spool.pending() == [key], "the file must wait in the spool"

    [result] = flush(store, spool)
    assert result.ok, result.error
    assert store.read_bytes(key) == data


def test_check_command_probes_the_storage(cli_env, store, tmp_path):
    checked = storage_server.run_cli("check", env=cli_env, cwd=tmp_path)

    assert checked.returncode == 0, checked.stderr
    assert store.describe() in checked.stdout
    for step in ("write", "read", "delete"):
        assert re.search(rf"{step}\b.*: ok", checked.stdout), checked.stdout
    assert store.list_keys() == [], "the probe object must be deleted"


def assert_one_line_error(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: storage check failed: ")
    assert re.search(reason, lines[0]), lines[0]


def test_check_command_fails_in_one_line_when_the_server_is_down(
    storage_service, cli_env, tmp_path
):
    with storage_service.outage():
        checked = storage_server.run_cli("check", env=cli_env, cwd=tmp_path)

    assert_one_line_error(checked, storage_service.outage_reason)
{%- if cookiecutter.storage_backend != "local" %}


def test_check_command_fails_in_one_line_when_the_bucket_is_missing(storage_service, tmp_path):
    missing = f"missing-{uuid.uuid4().hex[:12]}"
    env = storage_server.cli_env(storage_service.env(missing), tmp_path / "spool")

    checked = storage_server.run_cli("check", env=env, cwd=tmp_path)

    assert_one_line_error(checked, storage_service.missing_bucket_reason)
    assert missing in checked.stderr
{%- endif %}


# Start-up: the backend's SDK (hundreds of ms to import) loads only when the store opens.

{%- set pkg = cookiecutter.package_name %}
{%- set sdk = {"local": [], "s3": ["boto3", "botocore"], "gcs": ["google.auth", "google.cloud"], "azure": ["azure"]}[cookiecutter.storage_backend] %}
STORE_MODULE = "{{ pkg }}.storage.{{ cookiecutter.storage_backend }}_store"
CLOUD_SDKS = ("boto3", "botocore", "google.auth", "google.cloud", "azure")
# What opening the store loads: its module and the backend's SDK, nothing else watched.
OPENED = [{% for name in sdk %}"{{ name }}", {% endfor %}STORE_MODULE]

FRESH_WORKER = """
import json, logging, sys
import {{ pkg }}.agent
from {{ pkg }} import archive
from {{ pkg }}.settings import Settings
from {{ pkg }}.storage import open_store

watched = sys.argv[1:]
def loaded():
    return [w for w in watched if any(n == w or n.startswith(w + ".") for n in sys.modules)]

logging.getLogger("{{ pkg }}").setLevel(logging.DEBUG)
logging.getLogger("{{ pkg }}").addHandler(logging.StreamHandler())
report = {"imported": loaded()}
settings = Settings.from_env()
store = open_store(settings.storage)
report["described"] = store.describe()
report["after_describe"] = loaded()
archive.flush_spool(settings)  # what prewarm starts in a thread
report["after_warm"] = loaded()
print(json.dumps(report))
"""


def test_the_sdk_loads_when_the_store_opens_not_at_import(cli_env, store, tmp_path):
    """A new interpreter imports the agent and describes the store, then prewarm's
    background thread opens it: only that loads the SDK."""
    done = subprocess.run(
        [sys.executable, "-c", FRESH_WORKER, *CLOUD_SDKS, STORE_MODULE],
        env=cli_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert report["imported"] == [], "importing the agent must not import a storage SDK"
    assert report["described"] == store.describe()
    assert report["after_describe"] == []
    assert sorted(report["after_warm"]) == sorted(OPENED)
    assert re.search(r"storage opened in \d+ ms", done.stderr), done.stderr


# Key layout: room names, job ids and the prefix come from outside.

any_text = st.text(max_size=200)


def key_for(prefix: str, room: str, job_id: str) -> str:
    return object_key(prefix, "recordings", "recording.ogg", room=room, job_id=job_id, started_at=0)


@given(prefix=any_text, room=any_text, job_id=any_text)
def test_keys_stay_inside_the_prefix_and_are_valid(prefix, room, job_id):
    key = key_for(prefix, room, job_id)
    segments = key.split("/")
    prefix_segments = safe_prefix(prefix).split("/") if safe_prefix(prefix) else []

    assert segments[: len(prefix_segments)] == prefix_segments
    assert segments[len(prefix_segments) :][:4] == ["recordings", "1970", "01", "01"]
    assert len(segments) == len(prefix_segments) + 7
    for segment in segments:
        assert SEGMENT.fullmatch(segment), segment
        assert len(segment) <= MAX_SEGMENT
        assert segment not in (".", "..")
    assert len(key) - len(safe_prefix(prefix)) <= 2 * MAX_SEGMENT + 40


@given(first=st.tuples(any_text, any_text), second=st.tuples(any_text, any_text))
def test_distinct_rooms_and_jobs_get_distinct_keys(first, second):
    if first != second:
        assert key_for("", *first) != key_for("", *second)


@hypothesis_settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(room=any_text, job_id=any_text)
def test_hostile_names_round_trip_on_the_backend(store, tmp_path, room, job_id):
    key = key_for("tenant/../..", room, job_id)
    spool = Spool(tmp_path / f"spool-{uuid.uuid4().hex}")
    path = spool.write(key, room.encode("utf-8", "surrogatepass"))

    assert store.upload_file(path, key) == f"{store.describe()}/{key}"
    assert store.read_bytes(key) == path.read_bytes()
    folder = key.rsplit("/", 1)[0] + "/"
    assert store.list_keys(folder) == [key]


# Settings that would break every call are refused at start, in one line.


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0"])
def test_an_upload_timeout_that_is_not_a_finite_positive_number_is_refused(
    value, storage_env, tmp_path
):
    env = storage_env | {"SPOOL_DIR": str(tmp_path / "spool"), "UPLOAD_TIMEOUT": value}
    storage_server.assert_refused(env, "UPLOAD_TIMEOUT")


def test_a_spool_that_is_a_file_or_under_proc_is_refused(storage_env, tmp_path):
    not_a_folder = tmp_path / "spool"
    not_a_folder.write_text("")
    for spool_dir in (not_a_folder, not_a_folder / "below", Path("/proc/spool")):
        storage_server.assert_refused(storage_env | {"SPOOL_DIR": str(spool_dir)}, "SPOOL_DIR")


def test_a_read_only_spool_is_refused(storage_env, tmp_path):
    from test_storage_spool import tmpfs

    with tmpfs(tmp_path / "read-only", "ro", "size=64k") as spool_dir:
        storage_server.assert_refused(storage_env | {"SPOOL_DIR": str(spool_dir)}, "SPOOL_DIR")
        env = storage_env | {"SPOOL_DIR": str(spool_dir / "not-yet-made")}
        storage_server.assert_refused(env, "SPOOL_DIR")


def test_the_spool_probe_leaves_nothing_behind(storage_env, tmp_path):
    spool_dir = tmp_path / "new" / "spool"
    Settings.from_env(storage_env | {"SPOOL_DIR": str(spool_dir)})
    assert list(tmp_path.iterdir()) == [], "checking the spool must not create it"


def test_keys_of_two_sessions_of_one_job_differ():
    first, second = new_session_id(), new_session_id()
    keys = [
        object_key("", "transcripts", "transcript.json", room="r", job_id="AJ_1", started_at=0,
                   session=session)
        for session in (first, second)
    ]  # fmt: skip
    assert first != second and keys[0] != keys[1]
    assert keys[0].split("/")[-2] == f"AJ_1.{first}"
