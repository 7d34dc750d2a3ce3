"""A hand-built conversation, made of real livekit chat items, for the transcript tests,
and a way to run the ``transcript`` command on it."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

from livekit.agents.llm import (
    AgentConfigUpdate,
    AgentHandoff,
    ChatContext,
    FunctionCall,
    FunctionCallOutput,
)

from {{ cookiecutter.package_name }}.__main__ import main
from {{ cookiecutter.package_name }}.transcript.model import Entry, SessionInfo, Transcript, iso_utc

T0 = 1_795_000_000.0  # session start (2026-11-18T11:06:40Z)
RECORDING_START = T0 + 1.0

GREETING = "Hello! This call is recorded. 👋 How can I help?"
UNICODE_QUESTION = "What's the weather in 東京 --> <b>now</b> & later? | שלום עולם 😀"
INTERRUPTED_REPLY = "It's sunny in Tokyo, twenty two degrees and"
LONG_REPLY = " ".join(
    f"Sentence number {n} of a very long answer about the weather, the parks and the museums."
    for n in range(1, 8)
)
MARKDOWN_QUESTION = "# not a heading\n\n- not a list\n1. nor this\n`code` *stars* _under_ [link](x)"
# What is said, in order: the empty and whitespace-only turns are left out.
SPOKEN = [GREETING, UNICODE_QUESTION, INTERRUPTED_REPLY, LONG_REPLY, MARKDOWN_QUESTION]


def sample_history() -> ChatContext:
    """Every kind of item a session produces, including ones transcripts leave out."""
    chat = ChatContext.empty()
    chat.add_message(
        id="item_01", role="system", content="You are a helpful assistant.", created_at=T0
    )
    chat.insert(AgentConfigUpdate(id="item_02", instructions="Be brief.", created_at=T0 + 0.05))
    chat.insert(
        AgentHandoff(id="item_03", old_agent_id=None, new_agent_id="greeter", created_at=T0 + 0.1)
    )
    chat.add_message(
        id="item_04",
        role="assistant",
        content=GREETING,
        created_at=T0 + 1.2,
        metrics={"started_speaking_at": T0 + 1.5, "stopped_speaking_at": T0 + 3.5},
    )
    chat.add_message(
        id="item_05",
        role="user",
        content=UNICODE_QUESTION,
        created_at=T0 + 6.0,
        metrics={
            "started_speaking_at": T0 + 4.0,
            "stopped_speaking_at": T0 + 5.5,
            "transcription_delay": 0.31,
            "end_of_turn_delay": 0.52,
        },
    )
    chat.insert(
        FunctionCall(
            id="item_06",
            call_id="call_1",
            name="get_weather",
            arguments='{"city": "東京"}',
            created_at=T0 + 6.2,
        )
    )
    chat.insert(
        FunctionCallOutput(
            id="item_07",
            call_id="call_1",
            name="get_weather",
            output="Sunny, 22 °C",
            is_error=False,
            created_at=T0 + 6.4,
        )
    )
    chat.add_message(
        id="item_08",
        role="assistant",
        content=INTERRUPTED_REPLY,
        created_at=T0 + 6.6,
        interrupted=True,
        metrics={
            "started_speaking_at": T0 + 7.0,
            "stopped_speaking_at": T0 + 8.0,
            "llm_node_ttft": 0.42,
            "tts_node_ttfb": 0.18,
            "e2e_latency": 1.1,
        },
    )
    chat.add_message(id="item_09", role="user", content="", created_at=T0 + 8.5)
    chat.add_message(id="item_10", role="user", content="  \n\t ", created_at=T0 + 8.6)
    chat.insert(
        AgentHandoff(
            id="item_11", old_agent_id="greeter", new_agent_id="weather_expert", created_at=T0 + 9.0
        )
    )
    chat.add_message(id="item_12", role="assistant", content=LONG_REPLY, created_at=T0 + 10.0)
    chat.insert(
        FunctionCall(
            id="item_13",
            call_id="call_2",
            name="lookup_order",
            arguments='{"order": "A-1 | ```x```"}',
            created_at=T0 + 59.0,
        )
    )
    chat.insert(
        FunctionCallOutput(
            id="item_14",
            call_id="call_2",
            name="lookup_order",
            output="order not found",
            is_error=True,
            created_at=T0 + 59.1,
        )
    )
    chat.add_message(id="item_15", role="user", content=MARKDOWN_QUESTION, created_at=T0 + 60.0)
    return chat


def sample_session() -> SessionInfo:
    return SessionInfo(
        room="support | room-42",
        room_id="RM_abc",
        job_id="AJ_def",
        agent_name="livekit-recording-agent",
        started_at=T0,
        ended_at=T0 + 75.0,
        close_reason="participant_disconnected",
        models={"stt": "deepgram/nova-3", "llm": "openai/gpt-4.1-mini", "tts": "openai/tts-1"},
        recording={
            "kind": "agent_audio",
            "status": "complete",
            "started_at": iso_utc(RECORDING_START),
        },
    )


def sample_entries() -> list[Entry]:
    return [e for e in map(Entry.from_item, sample_history().items) if e is not None]


def sample_transcript() -> Transcript:
    return Transcript(sample_session(), sample_entries())


SRC = Path(__file__).resolve().parents[1] / "src"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """``transcript ARGS`` through ``main`` in this interpreter, from ``cwd`` (which holds
    no ``.env.local``), with its exit code and output as a subprocess would report them."""
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8") for _ in range(2))
    previous = os.getcwd()  # contextlib.chdir needs Python 3.11
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["transcript", *args])
    except SystemExit as stopped:  # argparse
        code = stopped.code
    finally:
        os.chdir(previous)
    out.flush()
    err.flush()
    return subprocess.CompletedProcess(args, code, out.buffer.getvalue(), err.buffer.getvalue())


def run_cli_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """``python -m {{ cookiecutter.package_name }} transcript ARGS`` in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIVEKIT_")}
    env["PYTHONPATH"] = str(SRC)
    command = [sys.executable, "-m", "{{ cookiecutter.package_name }}", "transcript", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, timeout=120)
