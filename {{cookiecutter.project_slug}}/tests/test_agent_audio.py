"""The agent's own recording: a real stereo Ogg/Opus file, saved next to the transcript."""

from __future__ import annotations

import asyncio
import io

import av
import numpy as np
from livekit.agents.testing import fake_job_context
from mutagen.oggopus import OggOpus

import fakes
import scripted
from {{ cookiecutter.package_name }}.storage import open_store
from {{ cookiecutter.package_name }}.transcript import TRANSCRIPT_FORMAT
from {{ cookiecutter.package_name }}.transcript.model import Transcript, parse_time

USER_TURNS = ["Can you hear me", "Great, goodbye then"]
AGENT_REPLIES = ["Hello, I am listening", "Yes, loud and clear", "Goodbye"]


def voiced_seconds(channel: np.ndarray, rate: int, window: float = 0.01) -> float:
    """How long a channel is audibly louder than silence, in ``window`` steps."""
    size = round(rate * window)
    blocks = np.abs(channel[: len(channel) // size * size]).reshape(-1, size).max(axis=1)
    return float((blocks > 0.05).sum() * window)


async def test_recording_is_stereo_opus_saved_under_recordings(settings):
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    session = conversation.session
    with fake_job_context(job_id="job-audio") as ctx:
        archive = await scripted.start_session(ctx, session, settings)
        await conversation.run()
        await session.aclose()
        recorded = await asyncio.to_thread((ctx.session_directory / "audio.ogg").read_bytes)
        results = await archive.close()

    expected_key = archive.key("recordings", "recording.ogg")
    assert {r.key: r.ok for r in results} == {expected_key: True, archive.transcript_key: True}
    parts = expected_key.split("/")
    job_segment = f"job-audio.{archive.session_id}"
    assert "recordings" in parts and parts[-3:] == ["fake-room", job_segment, "recording.ogg"]
    store = open_store(settings.storage)
    stored = await asyncio.to_thread(store.read_bytes, expected_key)
    assert stored == recorded

    opus = OggOpus(io.BytesIO(stored))
    assert opus.info.channels == 2
    with av.open(io.BytesIO(stored)) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.rate) == ("opus", 48000)
        pcm = np.concatenate([frame.to_ndarray() for frame in container.decode(stream)], axis=1)
    assert pcm.shape[0] == 2

    # the file spans the session, from the recorder's start to the session's close
    info = archive.info
    recording = info.recording
    assert recording is not None
    assert recording["status"] == "complete"
    started_at = parse_time(recording["started_at"])
    assert info.started_at <= started_at <= info.ended_at
    assert 0 < opus.info.length <= info.ended_at - started_at
    last = [e for e in archive.transcript.entries if e.is_turn][-1]
    assert started_at + opus.info.length >= last.ended_at - 0.1

    # user on the left, agent on the right, each about as long as what the script said
    user_speech = sum(conversation.speech_seconds(line) for line in USER_TURNS)
    agent_speech = sum(
        conversation.speech_seconds(m.text_content or "")
        for m in session.history.messages()
        if m.role == "assistant"
    )
    assert abs(voiced_seconds(pcm[0], 48000) - user_speech) < 0.15
    assert abs(voiced_seconds(pcm[1], 48000) - agent_speech) < 0.15

    # everything said, the recording notice first, was said after the recording started
    first = next(e for e in archive.transcript.entries if e.is_turn)
    assert started_at <= first.started_at

    if TRANSCRIPT_FORMAT in ("json", "jsonl"):
        saved = await asyncio.to_thread(store.read_bytes, archive.transcript_key)
        header = Transcript.from_text(saved.decode("utf-8")).session.recording
        assert header["status"] == "complete"
        assert header["started_at"] == recording["started_at"]
        assert header["location"].endswith(expected_key)


async def test_a_project_with_redaction_records_audio_without_failing(settings):
    """livekit refuses audio without transcript when the LiveKit project enables
    redaction (job.py ``init_recording``): the session still starts and records."""
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    with fake_job_context(job_id="job-redacted") as ctx:
        ctx.job.enable_redaction = True
        archive = await scripted.start_session(ctx, conversation.session, settings)
        await conversation.run()
        results = await archive.close()

    assert all(r.ok for r in results), [r.error for r in results]
    assert archive.info.recording["status"] == "complete"
    options = conversation.session._opts.recording_options
    assert options["audio"] and options["transcript"]
    assert not options["traces"] and not options["logs"]


async def test_a_project_with_recording_on_keeps_its_own_choice(settings):
    """Our ``record=`` never turns off what the LiveKit project enables."""
    conversation = fakes.ScriptedConversation(USER_TURNS, AGENT_REPLIES)
    with fake_job_context(job_id="job-project-records") as ctx:
        ctx.job.enable_recording = True
        archive = await scripted.start_session(ctx, conversation.session, settings)
        await conversation.run()
        await archive.close()

    options = conversation.session._opts.recording_options
    assert all(options[k] for k in ("audio", "traces", "logs", "transcript"))
