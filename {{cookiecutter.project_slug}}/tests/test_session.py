"""Whole sessions, played by scripted fakes through the agent's own ``archive.start``."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from livekit.agents import function_tool
from livekit.agents.testing import fake_job_context

import fakes
import scripted
from {{ cookiecutter.package_name }} import archive as archives
from {{ cookiecutter.package_name }}.agent import Assistant
from {{ cookiecutter.package_name }}.archive import SessionArchive
{%- if cookiecutter.recording != "none" %}
from {{ cookiecutter.package_name }}.recording import notice
{%- endif %}
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.storage.spool import Spool
from {{ cookiecutter.package_name }}.transcript import TRANSCRIPT_FORMAT
from {{ cookiecutter.package_name }}.transcript.formats import FORMATS
from {{ cookiecutter.package_name }}.transcript.model import Entry, Transcript

NOTICE = {% if cookiecutter.recording != "none" %}notice.RECORDING_NOTICE{% else %}None{% endif %}

USER_TURNS = ["What is the weather in Paris", "Thanks, that is all"]
GREETING = "Hello, how can I help you today"
AGENT_REPLIES = [
    GREETING,
    [fakes.ToolCall("lookup_weather", {"city": "Paris"}), "It is sunny in Paris"],
    "You are welcome, goodbye",
]
# every message, in order: the notice (when recording), the greeting, then each exchange
EXPECTED = [
    *([("assistant", NOTICE)] if NOTICE else []),
    ("assistant", GREETING),
    ("user", USER_TURNS[0]),
    ("assistant", "It is sunny in Paris"),
    ("user", USER_TURNS[1]),
    ("assistant", "You are welcome, goodbye"),
]


class WeatherAssistant(Assistant):
    @function_tool
    async def lookup_weather(self, city: str) -> str:
        """Look up the current weather in a city."""
        return f"sunny in {city}"


def turns(entries: list[Entry]) -> list[tuple[str, str]]:
    return [(e.role, e.text.strip()) for e in entries if e.is_turn]


async def play(settings, job_id: str) -> tuple[fakes.ScriptedConversation, SessionArchive]:
    """Start a scripted session with the agent's own wiring and play the whole script."""
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    with fake_job_context(job_id=job_id) as ctx:
        archive = await scripted.start_session(
            ctx, conversation.session, settings, agent=WeatherAssistant()
        )
        await conversation.run()
    return conversation, archive


async def test_saved_transcript_holds_every_turn_in_order(settings):
    """Also: the recording notice, when there is one, is the first thing said."""
    _, archive = await play(settings, "job-saved")
    results = await archive.close()

    assert [r.key for r in results if not r.ok] == []
    assert archive.transcript_key in [r.key for r in results]
    assert Spool(settings.spool_dir).pending() == []
    assert not archive.capture.journal.path.exists()

    store = open_store(settings.storage)
    saved = (await asyncio.to_thread(store.read_bytes, archive.transcript_key)).decode("utf-8")
    transcript = Transcript(archive.info, archive.transcript.entries)
    assert saved == FORMATS[TRANSCRIPT_FORMAT].render(transcript)
    assert turns(transcript.entries)[0] == ("assistant", NOTICE or GREETING)
    assert turns(transcript.entries) == EXPECTED
    flat, position = " ".join(saved.split()), 0  # captions wrap long lines
    for _, text in EXPECTED:
        position = flat.index(text, position) + len(text)
    if TRANSCRIPT_FORMAT in ("json", "jsonl"):
        parsed = Transcript.from_text(saved)
        assert turns(parsed.entries) == EXPECTED
        for read, kept in zip(parsed.entries, transcript.entries, strict=True):
            assert abs(read.created_at - kept.created_at) < 0.001

    # the tool call sits between the question and the answer
    kinds = [e.kind for e in transcript.entries]
    call = kinds.index("function_call")
    assert kinds[call + 1] == "function_call_output"
    assert transcript.entries[call].name == "lookup_weather"
    assert json.loads(transcript.entries[call].arguments) == {"city": "Paris"}

    # timestamps: in order and inside the session window
    info = archive.info
    assert info.started_at is not None and info.ended_at is not None
    assert info.started_at <= info.ended_at
    times = [e.created_at for e in transcript.entries]
    assert times == sorted(times)
    for entry in transcript.entries:
        assert info.started_at <= entry.created_at <= info.ended_at
        for moment in (entry.started_at, entry.ended_at):
            assert moment is None or info.started_at <= moment <= info.ended_at
    assert info.job_id == "job-saved"
    assert info.close_reason
    assert info.models == {"stt": "fake/scripted", "llm": "fake/scripted", "tts": "fake/tone"}


async def test_two_sessions_of_one_job_at_once_each_keep_their_own_files(settings):
    """A job id is not unique enough (two AgentSessions in one job, a replayed job id):
    each session has its own keys, so no journal is shared and nothing lands on ``-2``."""
    (_, first), (_, second) = await asyncio.gather(
        play(settings, "job-twice"), play(settings, "job-twice")
    )
    assert first.transcript_key != second.transcript_key
    assert first.capture.journal.path != second.capture.journal.path
    results = await asyncio.gather(first.close(), second.close())

    store = open_store(settings.storage)
    for archive, saved in zip((first, second), results, strict=True):
        assert [r.key for r in saved if not r.ok] == []
        assert all(r.location and r.location.endswith(r.key) for r in saved)  # no `-2`
        text = (await asyncio.to_thread(store.read_bytes, archive.transcript_key)).decode()
        position = 0
        for _, said in EXPECTED:
            position = " ".join(text.split()).index(said, position) + len(said)
        recording = archive.info.recording or {}
        if recording.get("kind") == "agent_audio":  # names the file the upload wrote
            assert recording["location"] in [r.location for r in saved]
    assert Spool(settings.spool_dir).pending() == []


async def test_live_journal_survives_an_abandoned_session(settings):
    """A process killed mid-call leaves a valid journal holding every turn so far."""
    conversation, archive = await play(settings, "job-killed")
    journal = archive.capture.journal.path
    try:
        for _ in range(200):  # the writer thread appends asynchronously
            lines = (await asyncio.to_thread(journal.read_text, encoding="utf-8")).splitlines()
            if turns(Transcript.from_jsonl(lines).entries) == EXPECTED:
                break
            await asyncio.sleep(0.01)
        records = [json.loads(line) for line in lines]  # every line is complete JSON
        assert records[0]["type"] == "session_start"
        assert records[0]["session"]["job_id"] == "job-killed"
        assert all(r["type"] != "session_end" for r in records)
        recovered = Transcript.from_jsonl(lines)
        assert turns(recovered.entries) == EXPECTED
        assert abs(recovered.session.started_at - archive.info.started_at) < 0.001
    finally:  # not archive.close(): this session is abandoned, only stop its tasks
        await conversation.session.aclose()
        await asyncio.to_thread(archive.capture.journal.close)


async def test_a_hang_up_saves_at_once_and_asks_the_job_to_end(settings):
    """The caller leaving closes only the session (RoomIO does nothing else); the archive
    asks the job to shut down, so livekit runs on_session_end (our save) right away."""
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    with fake_job_context(job_id="job-hangup") as ctx:
        asked: list[str] = []
        ctx._on_shutdown = asked.append  # a fake job has no process to shut down
        archive = await scripted.start_session(
            ctx, conversation.session, settings, WeatherAssistant()
        )
        await conversation.run()
        hung_up = time.time()
        scripted.hang_up(conversation.session)
        for _ in range(200):
            if asked:
                break
            await asyncio.sleep(0.01)
        assert asked and "participant_disconnected" in asked[0]
        await archives.save(ctx)  # what livekit's shutdown calls on_session_end with
        durable = time.time()

    info = archive.info
    assert info.close_reason == "participant_disconnected"
    assert hung_up <= info.ended_at <= hung_up + 1  # the close, not the end of the job
    store = open_store(settings.storage)
    saved = (await asyncio.to_thread(store.read_bytes, archive.transcript_key)).decode("utf-8")
    assert_in_order(saved, [text for _, text in EXPECTED])
    assert Spool(settings.spool_dir).pending() == []
    print(f"hang-up to durable: {durable - hung_up:.2f}s")


async def test_a_session_that_fails_to_start_is_saved_with_the_failure_and_closed(
    settings, monkeypatch
):
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    session = conversation.session

    async def refuse(*args, **kwargs):
        raise RuntimeError("the room refused the agent")

    monkeypatch.setattr(session, "start", refuse)
    with fake_job_context(job_id="job-failed-start") as ctx:
        with pytest.raises(RuntimeError):
            await scripted.start_session(ctx, session, settings)
        archive = archives.opened(ctx)
        assert archive is not None
        results = await archive.close()  # livekit runs on_session_end after a crash too

    assert [r.ok for r in results] == [True]
    assert "the room refused the agent" in (archive.info.error or "")
    assert not archive.capture.journal.path.exists()  # not left for flush as if a call
    assert not any(t.name.startswith("journal:") for t in threading.enumerate())
    assert Spool(settings.spool_dir).pending() == []
{%- if cookiecutter.transcript_format in ["json", "jsonl"] %}
    stored = open_store(settings.storage).read_bytes(archive.transcript_key).decode("utf-8")
    assert "the room refused the agent" in Transcript.from_text(stored).session.error
{%- endif %}


def assert_in_order(saved: str, texts: list[str]) -> None:
    flat, position = " ".join(saved.split()), 0  # captions wrap long lines
    for text in texts:
        position = flat.index(text, position) + len(text)
