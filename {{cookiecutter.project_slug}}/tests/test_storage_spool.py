"""The spool under stress: a full disk, SIGKILL at every step of a save, several processes.

Each case runs against the real {{ cookiecutter.storage_backend }} server of ``storage_env``; the
size-limited spool is a real tmpfs (mounting one needs root, as on CI).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import storage_server
from {{ cookiecutter.package_name }}.storage import locks, open_store
from {{ cookiecutter.package_name }}.storage import spool as spool_module
from {{ cookiecutter.package_name }}.storage.spool import (
    KILL_AT_VARIABLE,
    Spool,
    SpoolError,
    flush,
    save_direct,
    save_from,
)

KiB, MiB = 1024, 1024 * 1024
FOLDER = "prod/{kind}/2026/11/18/support_desk/AJ_1.0a1b2c3d"
TRANSCRIPT = FOLDER.format(kind="transcripts") + "/transcript.json"
JOURNAL = FOLDER.format(kind="transcripts") + "/transcript.partial.jsonl"
RECORDING = FOLDER.format(kind="recordings") + "/recording.ogg"


@pytest.fixture
def store(settings):
    return open_store(settings.storage)


@pytest.fixture
def spool(settings) -> Spool:
    return Spool(settings.spool_dir)


@pytest.fixture
def cli_env(storage_env, settings) -> dict[str, str]:
    return storage_server.cli_env(storage_env, settings.spool_dir)


def stored(store) -> dict[str, bytes]:
    return {key: store.read_bytes(key) for key in store.list_keys()}


@contextlib.contextmanager
def tmpfs(path: Path, *options: str):
    """A real tmpfs at ``path`` (root only; CI runs as root)."""
    path.mkdir(parents=True, exist_ok=True)
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("mount"):
        storage_server.tool_missing("a tmpfs spool needs Linux and root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode:
        storage_server.tool_missing(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


# A full spool disk


def test_a_full_spool_leaves_nothing_torn_and_says_so_in_one_line(tmp_path, store):
    with tmpfs(tmp_path / "small", "size=256k") as root:
        spool = Spool(root / "spool")
        spool.write(TRANSCRIPT.replace(".json", ".txt"), b"fits")  # the disk works

        with pytest.raises(SpoolError) as full:
            spool.write(TRANSCRIPT, os.urandom(MiB))
        recording = tmp_path / "audio.ogg"  # the job's temp dir, on another disk
        recording.write_bytes(os.urandom(MiB))
        with pytest.raises(SpoolError):
            spool.adopt(recording, RECORDING)

        message = str(full.value)
        assert "\n" not in message and "the disk is full" in message, message
        assert TRANSCRIPT in message
        files = sorted(p.name for p in root.rglob("*") if p.is_file())
        assert files == ["transcript.txt"], "a failed write must leave nothing behind"
        assert recording.stat().st_size == MiB, "the recording stays where it was"


async def test_when_the_spool_is_full_the_files_go_straight_to_storage(tmp_path, store):
    recording = tmp_path / "audio.ogg"
    recording.write_bytes(os.urandom(2 * MiB))
    transcript = b'{"entries": ["kept in memory"]}'

    from_path = await save_direct(store, RECORDING, path=recording, timeout=20)
    from_memory = await save_direct(store, TRANSCRIPT, data=transcript, timeout=20)

    assert from_path.ok and from_memory.ok, (from_path.error, from_memory.error)
    assert stored(store) == {RECORDING: recording.read_bytes(), TRANSCRIPT: transcript}


async def test_save_from_uploads_the_file_it_is_given_spooled_or_not(spool, store, tmp_path):
    spool.write(TRANSCRIPT, b"an earlier session's")
    mine = spool.write(TRANSCRIPT, b"this session's")  # the key was taken: a -2 variant
    elsewhere = tmp_path / "audio.ogg"
    elsewhere.write_bytes(b"not spooled")

    spooled = await save_from(store, spool, TRANSCRIPT, mine, timeout=20)
    direct = await save_from(store, spool, RECORDING, elsewhere, timeout=20)

    assert spooled.ok and direct.ok, (spooled.error, direct.error)
    assert store.read_bytes(spool.key_of(mine)) == b"this session's"
    assert store.read_bytes(RECORDING) == b"not spooled"
    assert spool.pending() == [TRANSCRIPT], "the other session's file waits for its own save"


def test_unencodable_text_is_spooled_not_refused(spool):
    half_an_emoji = "\ud83d"
    path = spool.write_text(TRANSCRIPT, ["caf\u00e9 ", os.fsdecode(b"\xff"), half_an_emoji])
    assert path.read_bytes().decode("utf-8") == "caf\u00e9 \ufffd\ufffd"


# Never overwrite


def test_a_second_file_for_the_same_key_keeps_both(spool, store):
    first, second = spool.write(TRANSCRIPT, b"first session"), spool.write(TRANSCRIPT, b"second")
    assert first != second and first.read_bytes() == b"first session"

    results = flush(store, spool)

    assert all(r.ok for r in results), [r.error for r in results]
    assert sorted(stored(store).values()) == [b"first session", b"second"]
    assert stored(store)[TRANSCRIPT] == b"first session", "the first keeps its key"


def test_an_upload_never_replaces_a_stored_object(store):
    first = store.upload_bytes(b"the first call", TRANSCRIPT)
    again = store.upload_bytes(b"the first call", TRANSCRIPT)  # a retried upload
    other = store.upload_bytes(b"another call, same key", TRANSCRIPT)

    assert first == again, "the same bytes count as already uploaded"
    assert other != first and other.endswith("/transcript-2.json")
    assert stored(store) == {
        TRANSCRIPT: b"the first call",
        TRANSCRIPT.replace("transcript.json", "transcript-2.json"): b"another call, same key",
    }


# Vanishing files and concurrent flushes


def test_pending_does_not_fail_while_files_vanish(spool):
    keys = [f"{FOLDER.format(kind='transcripts')}{n % 30}/t{n}.json" for n in range(1500)]
    for key in keys:
        spool.write(key, b"x")
    paths = [spool.path(key) for key in keys]

    def remove_all() -> None:
        for path in paths:
            path.unlink()
            with contextlib.suppress(OSError):
                path.parent.rmdir()

    remover = threading.Thread(target=remove_all)
    remover.start()
    listings = 0
    while remover.is_alive():
        spool.pending()  # raised FileNotFoundError before
        listings += 1
    remover.join()
    assert spool.pending() == []
    assert listings > 1
    print(f"{listings} listings while {len(keys)} files vanished")


def test_concurrent_flush_processes_upload_each_file_once_and_report_it(
    cli_env, spool, store, tmp_path
):
    files = {
        f"{FOLDER.format(kind='transcripts')}/t{n:03}.json": os.urandom(KiB) for n in range(120)
    }
    for key, data in files.items():
        spool.write(key, data)

    started = time.monotonic()
    flushes = [
        subprocess.Popen(
            [sys.executable, "-m", "{{ cookiecutter.package_name }}", "flush"],
            env=cli_env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=240) for process in flushes]
    took = time.monotonic() - started

    for process, (out, err) in zip(flushes, outputs, strict=True):
        assert process.returncode == 0, out[-2000:] + err[-2000:]
    summaries = [re.search(r"^(\d+) uploaded, (\d+) kept", out, re.M) for out, _ in outputs]
    assert all(summaries), outputs
    assert sum(int(s[1]) for s in summaries) == len(files), "each file counted once"
    assert all(s[2] == "0" for s in summaries)
    assert stored(store) == files
    assert spool.pending() == []
    print(f"4 flushes uploaded {[int(s[1]) for s in summaries]} of {len(files)} in {took:.1f}s")


# Left-overs of dead processes


def test_flush_removes_temporary_files_of_dead_processes_only(spool, store):
    folder = spool.path(TRANSCRIPT).parent
    folder.mkdir(parents=True)
    stale, fresh, held = (folder / f".tmp-{name}" for name in ("stale", "fresh", "held"))
    for path in (stale, fresh, held):
        path.write_bytes(b"half a transcript")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    os.utime(held, (hour_ago, hour_ago))

    with open(held, "rb") as holder:
        assert locks.lock(holder.fileno())  # a live writer, slow for an hour
        flush(store, spool)
        assert held.exists()

    assert not stale.exists(), "a dead process's temporary file must not stay for ever"
    assert fresh.exists(), "a write in progress must not lose its file"
    assert stored(store) == {}


def test_a_journal_is_never_uploaded_beside_its_final_transcript(spool, store):
    spool.write(JOURNAL, b'{"type": "session_start"}\n')
    spool.write(TRANSCRIPT, b'{"final": true}')  # killed before the journal was removed

    results = flush(store, spool)

    assert all(r.ok for r in results)
    assert stored(store) == {TRANSCRIPT: b'{"final": true}'}
    assert spool.pending() == []


def test_flush_does_not_wait_for_the_journal_of_a_live_session(spool, store):
    journal = spool.write(JOURNAL, b'{"type": "session_start"}\n')
    spool.write(TRANSCRIPT.replace("AJ_1", "AJ_2"), b"an earlier call")

    with open(journal, "rb") as writer:
        assert locks.lock(writer.fileno())  # the journal writer of a call in progress
        started = time.monotonic()
        results = flush(store, spool, timeout=20)
        took = time.monotonic() - started

    assert took < 10, f"flush waited {took:.1f}s for a live journal (UPLOAD_TIMEOUT 20s)"
    assert {r.key: r.ok for r in results} == {JOURNAL: False, results[0].key: True}
    assert [r.error for r in results if not r.ok] == ["in use by a live session"]


KILLED_SAVE = """
import sys
from pathlib import Path
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.spool import Spool, upload_from_spool

recording, recording_key, transcript_key, journal_key = sys.argv[1:]
settings = Settings.from_env()
store, spool = open_store(settings.storage), Spool(settings.spool_dir)
journal = spool.path(journal_key)  # as the live capture leaves it
journal.parent.mkdir(parents=True, exist_ok=True)
journal.write_bytes(b'{"type": "session_start"}\\n')
keys = [spool.key_of(spool.adopt(Path(recording), recording_key))]
keys.append(spool.key_of(spool.write(transcript_key, b'{"final": true}')))
journal.unlink()
for key in keys:
    upload_from_spool(store, spool, key)
print("saved")
"""
STEPS = ["adopt:copied", "adopt:linked", "adopt:placed", "write:synced", "write:linked"]


def shm_dir(tmp_path: Path) -> Path:
    """A folder on another filesystem than the spool, as livekit's job temp dir can be."""
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        storage_server.tool_missing("no second filesystem (/dev/shm) for a cross-device move")
    folder = Path("/dev/shm") / f"job-{os.getpid()}-{time.monotonic_ns()}"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("step", [*STEPS, "upload:stored", None])
def test_a_save_killed_at_any_step_loses_nothing_and_uploads_once(
    step, cli_env, spool, store, tmp_path, monkeypatch
):
    job_dir = shm_dir(tmp_path)
    try:
        recording = job_dir / "audio.ogg"
        audio = os.urandom(3 * MiB)
        recording.write_bytes(audio)
        env = cli_env | ({KILL_AT_VARIABLE: step} if step else {})
        done = subprocess.run(
            [sys.executable, "-c", KILLED_SAVE, str(recording), RECORDING, TRANSCRIPT, JOURNAL],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == (-signal.SIGKILL if step else 0), done.stderr

        monkeypatch.setattr(spool_module, "STALE_TMP_SECONDS", 0.0)  # the process is dead
        results = flush(store, spool)

        assert all(r.ok for r in results), [r.error for r in results]
        objects = stored(store)
        in_storage = [key for key, data in objects.items() if data == audio]
        assert len(in_storage) + recording.exists() >= 1, "the recording was lost"
        assert len(in_storage) <= 1, "the recording was uploaded twice"
        assert not (TRANSCRIPT in objects and JOURNAL in objects), "journal and final both"
        assert TRANSCRIPT in objects or JOURNAL in objects, "the transcript was lost"
        assert spool.pending() == [] and not any(spool.root.rglob(".tmp-*"))
    finally:
        shutil.rmtree(job_dir, ignore_errors=True)
