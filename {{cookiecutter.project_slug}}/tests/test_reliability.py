"""Reliability: outages, killed and drained workers, concurrent and very long sessions.

Every case runs the agent's own code against the real {{ cookiecutter.storage_backend }} server of
``storage_env``; docs/RELIABILITY.md lists each case with the test that covers it. Cases
covered elsewhere: an upload killed before it completes (test_storage.py), and egress
refusing, timing out or failing (test_egress.py, in projects that record with egress).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from livekit.agents import AgentSession, ConversationItemAddedEvent
from livekit.agents.llm import ChatMessage
from livekit.agents.testing import fake_job_context

import drain_worker
import fakes
import scripted
import spool_locks
import storage_server
from {{ cookiecutter.package_name }}.archive import SessionArchive
{%- if cookiecutter.recording != "none" %}
from {{ cookiecutter.package_name }}.recording import notice
{%- endif %}
from {{ cookiecutter.package_name }}.settings import (
    SESSION_END_TIMEOUT,
    SHUTDOWN_PROCESS_TIMEOUT,
    Settings,
)
from {{ cookiecutter.package_name }}.storage import ObjectStore, open_store
from {{ cookiecutter.package_name }}.storage.spool import SaveResult, Spool
from {{ cookiecutter.package_name }}.transcript import TRANSCRIPT_FORMAT
from {{ cookiecutter.package_name }}.transcript.model import SessionInfo, Transcript

NOTICE = {% if cookiecutter.recording != "none" %}notice.RECORDING_NOTICE{% else %}None{% endif %}
USER_TURNS = ["I need to change my address", "It is 5 Rue de la Paix", "That is all, thanks"]
AGENT_REPLIES = [
    "Hello, what can I do for you",
    "Sure, what is the new address",
    "Done, your address is updated",
    "Goodbye",
]


@pytest.fixture
def store(settings) -> ObjectStore:
    return open_store(settings.storage)


@pytest.fixture
def cli_env(storage_env, settings) -> dict[str, str]:
    return storage_server.cli_env(storage_env, settings.spool_dir)


async def play(
    settings: Settings, job_id: str, user_turns: list[str], agent_replies: list[str]
) -> tuple[SessionArchive, list[SaveResult]]:
    """A whole scripted session through the agent's own wiring, closed and saved."""
    conversation = fakes.ScriptedConversation(user_turns, agent_replies)
    session = conversation.session
    with fake_job_context(job_id=job_id) as ctx:
        archive = await scripted.start_session(ctx, session, settings)
        await conversation.run()
        await session.aclose()
        results = await archive.close()
    return archive, results


def saved_files(archive: SessionArchive) -> set[str]:
    """The keys one session saves."""
    keys = {archive.transcript_key}
{%- if cookiecutter.recording == "agent_audio" %}
    keys.add(archive.key("recordings", "recording.ogg"))  # the agent's own recording
{%- endif %}
    return keys


def assert_said_in_order(saved: str, lines: list[str]) -> None:
    """Every line appears in the rendered transcript, in order (captions may wrap lines)."""
    flat, position = " ".join(saved.split()), 0
    for line in lines:
        found = flat.find(line, position)
        assert found >= 0, f"{line!r} is missing (or out of order) in the saved transcript"
        position = found + len(line)


# Storage down for a whole session


async def test_storage_down_for_a_whole_session_keeps_every_file_until_flush(
    storage_service, settings, store, cli_env, tmp_path, caplog
):
    storage_service.stop()
    try:
        with caplog.at_level(logging.ERROR):
            archive, results = await play(settings, "AJ_outage", USER_TURNS, AGENT_REPLIES)
        closing = time.time() - archive.info.ended_at  # the save gives up within its timeout

        # nothing uploaded, nothing lost: every file waits in the spool, the log says where
        assert {r.key for r in results} == saved_files(archive)
        assert [r.key for r in results if r.ok] == []
        spool = Spool(settings.spool_dir)
        assert sorted(spool.pending()) == sorted(saved_files(archive))
        for result in results:
            assert result.spooled_at is not None and result.spooled_at.exists()
            assert str(result.spooled_at) in caplog.text, "the log must name the kept file"
            await asyncio.to_thread(spool_locks.wait_until_unlocked, result.spooled_at)
        spooled = {r.key: r.spooled_at.read_bytes() for r in results}
        assert not archive.capture.journal.path.exists(), "the final transcript replaces it"
    finally:
        storage_service.restart()

    flushed = await asyncio.to_thread(storage_server.run_cli, "flush", env=cli_env, cwd=tmp_path)

    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    assert f"{len(spooled)} uploaded, 0 kept" in flushed.stdout
    for key, data in spooled.items():
        assert await asyncio.to_thread(store.read_bytes, key) == data
    assert Spool(settings.spool_dir).pending() == []
    saved = spooled[archive.transcript_key].decode("utf-8")
    assert_said_in_order(saved, [AGENT_REPLIES[0], USER_TURNS[0], USER_TURNS[-1]])
    print(f"with storage down, closing the session took {closing:.2f}s")


# A job killed with SIGKILL, and a worker drained by SIGTERM (a real AgentServer)


ROOMS = ("hangup", "kill", "drain", "cut")


@dataclass
class WorkerRun:
    """What happened to one drain_worker process, as observed from outside."""

    store: ObjectStore  # the bucket the worker saved to
    jobs: dict[str, dict]  # room -> the job's report (pid, job id, journal, keys)
    killed_after: list[tuple[str, str]]  # turns in the kill job's journal when it was killed
    drain_after: list[tuple[str, str]]  # turns in the drain job's journal at SIGTERM
    cut_after: list[tuple[str, str]]  # turns in the cut job's journal at SIGTERM
    returncode: int
    log: str
    flush: subprocess.CompletedProcess[str]
    seconds_to_exit: float
    hangup_to_durable: float  # seconds from the hang-up to its transcript in storage
    hangup_job_ended: bool  # its job process had exited, the worker still running


def process_ended(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def stored(store: ObjectStore, key: str) -> bool:
    try:
        store.read_bytes(key)
    except Exception:
        return False
    return True


def journal_turns(path: Path) -> list[tuple[str, str]]:
    """The turns in a live journal so far ([] if it is gone or still empty)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    complete = text[: text.rfind("\n") + 1].splitlines()  # not a line still being written
    return [(e.role, e.text.strip()) for e in Transcript.from_jsonl(complete).entries if e.is_turn]


def users_in(turns: list[tuple[str, str]]) -> int:
    return sum(role == "user" for role, _ in turns)


def wait_for(condition, what: str, process: subprocess.Popen, log: Path, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if process.poll() is not None or "unhandled exception" in log.read_text():
            raise AssertionError(f"the worker failed while waiting for {what}:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()[-4000:]}")
        time.sleep(0.05)
    return value


@pytest.fixture(scope="module")
def worker_run(storage_service, tmp_path_factory) -> Iterator[WorkerRun]:
    """Run drain_worker with four jobs, SIGKILL one mid-call, then SIGTERM the worker.

    - ``hangup``: a short call whose caller hangs up; it must be saved, and its job
      process end, while the worker keeps running.
    - ``kill``: its job process is killed with SIGKILL after two user turns.
    - ``drain``: a short call, two questions from its end at SIGTERM; the drain waits for it.
    - ``cut``: a call longer than the drain timeout, shut down by ``server.aclose()``.

    Then ``python -m {{ cookiecutter.package_name }} flush`` runs, as after a restart.
    """
    workdir = tmp_path_factory.mktemp("drain-worker")
    control = workdir / "control"
    control.mkdir()
    bucket_env = storage_service.env(storage_service.new_bucket())
    env = storage_server.cli_env(bucket_env, workdir / "spool")
    env["UPLOAD_TIMEOUT"] = "20"
    log_path = workdir / "worker.log"
    drain_timeout = 8
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, drain_worker.__file__, str(control), str(drain_timeout), *ROOMS],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a failed test can end it all
        )
    try:
        jobs = {}
        for room in ROOMS:
            report = control / f"{room}.json"
            wait_for(report.exists, f"the {room} job to start", worker, log_path)
            jobs[room] = json.loads(report.read_text(encoding="utf-8"))

        store = open_store(Settings.from_env(env).storage)
        hung_up_at = json.loads(
            wait_for(
                lambda: (
                    (control / "hangup.hung-up").exists()
                    and (control / "hangup.hung-up").read_text(encoding="utf-8")
                ),
                "the hangup job's caller to hang up",
                worker,
                log_path,
            )
        )
        wait_for(
            lambda: stored(store, jobs["hangup"]["transcript_key"]),
            "the hung-up call's transcript in storage",
            worker,
            log_path,
            timeout=30,
        )
        hangup_to_durable = time.time() - hung_up_at
        hangup_job_ended = bool(
            wait_for(
                lambda: process_ended(jobs["hangup"]["pid"]),
                "the hung-up job to end",
                worker,
                log_path,
            )
        )

        kill_journal = Path(jobs["kill"]["journal"])
        killed_after = wait_for(
            lambda: (t := journal_turns(kill_journal)) and users_in(t) >= 2 and t,
            "two user turns in the kill job",
            worker,
            log_path,
        )
        os.kill(jobs["kill"]["pid"], signal.SIGKILL)
        killed_after = journal_turns(kill_journal) or killed_after

        drain_journal = Path(jobs["drain"]["journal"])
        wait_for(
            lambda: users_in(journal_turns(drain_journal)) >= 4,  # of 6: two to go
            "the drain job to be mid-conversation",
            worker,
            log_path,
        )
        worker.send_signal(signal.SIGTERM)
        terminated = time.monotonic()
        drain_after = journal_turns(drain_journal)
        cut_after = journal_turns(Path(jobs["cut"]["journal"]))
        returncode = worker.wait(
            timeout=drain_timeout + SESSION_END_TIMEOUT + SHUTDOWN_PROCESS_TIMEOUT + 30
        )
        seconds_to_exit = time.monotonic() - terminated
    finally:
        if worker.poll() is None:  # the test failed: end the worker and its job processes
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    flushed = storage_server.run_cli("flush", env=env, cwd=workdir)
    yield WorkerRun(
        store,
        jobs,
        killed_after,
        drain_after,
        cut_after,
        returncode,
        log_path.read_text(encoding="utf-8", errors="replace"),
        flushed,
        seconds_to_exit,
        hangup_to_durable,
        hangup_job_ended,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="spawn: no forkserver")
def test_job_processes_start_with_the_storage_sdk_loaded(worker_run):
    """archive.SERVER_OPTIONS preloads the store module in livekit's forkserver (Linux):
    no job process imports the SDK itself."""
    assert all(job["store_preloaded"] for job in worker_run.jobs.values())


def test_a_hang_up_saves_the_call_at_once_and_ends_its_job(worker_run):
    """The caller leaving closes only the session (RoomIO); nothing calls ctx.shutdown().
    The archive ends the job, so the save runs at once, not when LiveKit closes the room."""
    assert worker_run.hangup_job_ended
    saved = worker_run.store.read_bytes(worker_run.jobs["hangup"]["transcript_key"]).decode()
    user_turns, agent_replies = drain_worker.SCRIPTS["hangup"]
    assert_said_in_order(saved, [agent_replies[0], *user_turns, agent_replies[-1]])
{%- if cookiecutter.transcript_format in ["json", "jsonl"] %}
    header = Transcript.from_text(saved).session
    assert header.close_reason == "participant_disconnected"
{%- endif %}
    print(f"hang-up to durable transcript: {worker_run.hangup_to_durable:.2f}s")


def test_sigkilled_job_leaves_a_valid_journal_that_flush_uploads(worker_run):
    killed = worker_run.jobs["kill"]
    assert worker_run.flush.returncode == 0, worker_run.flush.stdout + worker_run.flush.stderr
    assert "0 kept" in worker_run.flush.stdout

    # the journal was uploaded (by a job process's start-up flush, or by
    # `flush`) exactly as the killed process left it: every line complete JSON
    lines = worker_run.store.read_bytes(killed["journal_key"]).decode("utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0]["type"] == "session_start"
    assert records[0]["session"]["job_id"] == killed["job_id"]
    assert all(r["type"] != "session_end" for r in records)
    turns = [(e.role, e.text.strip()) for e in Transcript.from_jsonl(lines).entries if e.is_turn]
    user_turns, agent_replies = drain_worker.SCRIPTS["kill"]
    script = [("assistant", NOTICE)] if NOTICE else []
    script.append(("assistant", agent_replies[0]))
    for question, answer in zip(user_turns, agent_replies[1:], strict=True):
        script += [("user", question), ("assistant", answer)]
    assert turns == script[: len(turns)], "a prefix of the conversation, in order"
    assert len(turns) >= len(worker_run.killed_after) and users_in(turns) >= 2
    # the killed job never reached its shutdown callback: no final transcript
    with pytest.raises(Exception):  # noqa: B017 - each backend raises its own "not found"
        worker_run.store.read_bytes(killed["transcript_key"])


def test_sigterm_drains_the_worker_and_every_job_saves_its_transcript(worker_run):
    assert worker_run.returncode == 0, worker_run.log[-4000:]
    assert "SIGTERM: draining" in worker_run.log
    # no job needed killing: each shutdown callback finished inside shutdown_process_timeout
    assert "killing process" not in worker_run.log
    assert "drain timed out" in worker_run.log, "the cut call outlasts the drain timeout"

    # drain: mid-conversation at SIGTERM, the drain let it finish the whole call
    user_turns, agent_replies = drain_worker.SCRIPTS["drain"]
    at_sigterm = worker_run.drain_after
    assert users_in(at_sigterm) >= 4 and ("assistant", agent_replies[-1]) not in at_sigterm
    drained = worker_run.store.read_bytes(worker_run.jobs["drain"]["transcript_key"]).decode()
    assert_said_in_order(drained, [agent_replies[0], *user_turns, agent_replies[-1]])

    # cut: shut down by the closing worker; its transcript holds every turn said so far
    cut = worker_run.store.read_bytes(worker_run.jobs["cut"]["transcript_key"]).decode()
    assert_said_in_order(cut, [text for _, text in worker_run.cut_after])
{%- if cookiecutter.transcript_format in ["json", "jsonl"] %}
    header = Transcript.from_text(cut).session
    assert header.close_reason and header.ended_at
{%- endif %}

    # nothing was left behind for a later flush but the killed job's journal
    assert worker_run.flush.returncode == 0
    print(f"worker exited {worker_run.seconds_to_exit:.2f}s after SIGTERM")


# Two sessions in one room at the same moment


async def test_concurrent_sessions_in_the_same_room_keep_their_own_files(settings, store):
    first_script = (["Hi, I am Alice", "Bye"], ["Hello", "Hello Alice", "Bye Alice"])
    second_script = (["Hi, I am Bob", "Bye"], ["Hello", "Hello Bob", "Bye Bob"])

    (first, first_results), (second, second_results) = await asyncio.gather(
        play(settings, "AJ_same_room_a", *first_script),
        play(settings, "AJ_same_room_b", *second_script),
    )

    assert first.info.room == second.info.room
    assert abs(first.info.started_at - second.info.started_at) < 1.0
    first_folder, second_folder = (a.transcript_key.rsplit("/", 2)[0] for a in (first, second))
    assert first_folder == second_folder, "same room, same day: one room folder"
    assert not saved_files(first) & saved_files(second)
    assert all(r.ok for r in first_results + second_results)
    first_saved = (await asyncio.to_thread(store.read_bytes, first.transcript_key)).decode()
    second_saved = (await asyncio.to_thread(store.read_bytes, second.transcript_key)).decode()
    assert_said_in_order(first_saved, ["Hi, I am Alice", "Bye Alice"])
    assert_said_in_order(second_saved, ["Hi, I am Bob", "Bye Bob"])
    assert "Bob" not in first_saved and "Alice" not in second_saved
    listed = await asyncio.to_thread(store.list_keys, "")
    assert saved_files(first) | saved_files(second) <= set(listed)


# A two-hour session


TURNS = 2000
SESSION_SECONDS = 2 * 3600
# Memory kept per turn: an Entry, its id and metrics (~2 KiB measured); generous on purpose.
BYTES_PER_TURN_BUDGET = 8 * 1024
FIXED_BUDGET = 2 * 1024 * 1024


def turn_text(number: int) -> str:
    return f"turn{number:04d}x " + "and then I would like to know more about it " * 2


async def test_a_two_hour_session_keeps_every_turn_in_bounded_memory(settings, store):
    started_at = time.time() - SESSION_SECONDS
    info = SessionInfo(room="long-call", job_id="AJ_two_hours", started_at=started_at)
    session = AgentSession()
    archive = SessionArchive(session, settings, store, info)
    archive.capture.attach(session)

    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for number in range(TURNS):
            at = started_at + number * SESSION_SECONDS / TURNS
            role = "user" if number % 2 else "assistant"
            metrics = {"started_speaking_at": at, "stopped_speaking_at": at + 2.5}
            item = ChatMessage(role=role, content=[turn_text(number)], created_at=at)
            item.metrics.update(metrics)
            session.history.insert(item)  # what the session does, then it announces it
            session.emit("conversation_item_added", ConversationItemAddedEvent(item=item))
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    results = await archive.close()

    assert all(r.ok for r in results), [r.error for r in results]
    saved = (await asyncio.to_thread(store.read_bytes, archive.transcript_key)).decode("utf-8")
    markers = [f"turn{number:04d}x" for number in range(TURNS)]
    assert_said_in_order(saved, markers)
    if TRANSCRIPT_FORMAT in ("json", "jsonl"):
        assert len(Transcript.from_text(saved).turns()) == TURNS
    kept, growth = after - before, peak - before
    budget = FIXED_BUDGET + TURNS * BYTES_PER_TURN_BUDGET
    assert kept <= budget and growth <= budget, (kept, growth, budget)
    print(f"{TURNS} turns: {kept / TURNS:.0f} B kept and {growth / TURNS:.0f} B peak per turn")
