"""Sessions for the review tests: a conversation with latency metrics, a real recording
(tones, encoded with PyAV, which livekit already depends on), the browse server on a
free port in a thread, and Debian's chromium driven by playwright."""

from __future__ import annotations

import asyncio
import http.client
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from playwright.sync_api import Page

import storage_server
from {{ cookiecutter.package_name }}.browse.catalog import Catalog
from {{ cookiecutter.package_name }}.browse.server import make_app, start
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import layout, open_store
from {{ cookiecutter.package_name }}.storage.spool import Spool
from {{ cookiecutter.package_name }}.transcript import TRANSCRIPT_FORMAT
from {{ cookiecutter.package_name }}.transcript.formats import FORMATS
from {{ cookiecutter.package_name }}.transcript.model import Entry, SessionInfo, Transcript, iso_utc

RECORDING_KIND = "{{ cookiecutter.recording }}"
{%- if cookiecutter.recording == "none" %}
RECORDING_NAME = None
{%- else %}
RECORDING_NAME = "recording.{{ "mp4" if cookiecutter.recording == "egress_video" else "ogg" }}"
{%- endif %}
# What this project's transcript format keeps besides who spoke when (browse/readers.py).
KEEPS_METRICS = TRANSCRIPT_FORMAT in ("json", "jsonl")
KEEPS_HEADER = TRANSCRIPT_FORMAT not in ("webvtt", "srt")
T0 = 1_795_000_000.0  # 2026-11-18T11:06:40Z
DAY = "2026/11/18"
# Where each spoken turn starts, in seconds from the recording start.
TURN_STARTS = [1.0, 4.0, 7.0, 10.0, 13.0, 16.0]
SECONDS = 20.0
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def conversation(
    *,
    room: str = "support-desk",
    job_id: str = "AJ_review1",
    started_at: float = T0,
    texts: list[str] | None = None,
    tool_output: str = '{"temperature": 22}',
) -> Transcript:
    """Six turns, user first, a tool call after the third; the fifth is interrupted."""
    texts = texts or [
        "Hi, I was charged twice for my order.",
        "I'm sorry about that. Let me look up the order for you.",
        "It's order number 4 4 1 2.",
        "Thanks. I can see two charges; I'll refund the second one now.",
        "How long will the refund take? Because last time it",
        "Usually three to five business days.",
    ]
    recording = None
    if RECORDING_NAME:
        recording = {
            "kind": RECORDING_KIND,
            "status": "complete",
            "started_at": iso_utc(started_at),
        }
    session = SessionInfo(
        room=room,
        room_id="RM_review",
        job_id=job_id,
        agent_name="review-agent",
        started_at=started_at,
        ended_at=started_at + SECONDS,
        close_reason="participant_disconnected",
        models={"stt": "deepgram/nova-3", "llm": "openai/gpt-4.1-mini", "tts": "openai/tts-1"},
        recording=recording,
    )
    entries = []
    for number, (offset, text) in enumerate(zip(TURN_STARTS, texts, strict=True)):
        at = started_at + offset
        role = "user" if number % 2 == 0 else "assistant"
        metrics = {"started_speaking_at": at, "stopped_speaking_at": at + 2.5}
        if role == "user":
            metrics["transcription_delay"] = 0.2 + 0.05 * number
        else:
            metrics |= {
                "e2e_latency": 0.9 + 0.1 * number,
                "llm_node_ttft": 0.4,
                "tts_node_ttfb": 0.25,
            }
        entries.append(
            Entry(
                "message",
                at - 0.2,
                id=f"item_{number}",
                role=role,
                text=text,
                interrupted=number == 4,
                metrics=metrics,
            )
        )
        if number == 2:
            entries.append(
                Entry(
                    "function_call",
                    at + 2.6,
                    name="lookup_order",
                    call_id="c1",
                    arguments='{"order": "4412"}',
                )
            )
            entries.append(
                Entry(
                    "function_call_output",
                    at + 2.7,
                    name="lookup_order",
                    call_id="c1",
                    output=tool_output,
                )
            )
    return Transcript(session, entries)


def tone_recording(path: Path, seconds: float = SECONDS) -> Path:
    """A stereo recording of ``seconds``: a tone whose pitch changes every 3 s."""
    container, codec = ("mp4", "aac") if path.suffix == ".mp4" else ("ogg", "libopus")
    frame_size = 1024 if codec == "aac" else 960
    times = np.arange(frame_size) / 48000
    with av.open(str(path), "w", format=container) as out:
        stream = out.add_stream(codec, rate=48000, layout="stereo")
        for index in range(int(seconds * 48000 / frame_size)):
            pts = index * frame_size
            pitch = 220 + 55 * (pts // (3 * 48000))
            wave = (0.2 * np.sin(2 * np.pi * pitch * (times + pts / 48000))).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(
                np.stack([wave, wave]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = 48000, pts
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def keys(settings: Settings, transcript: Transcript) -> tuple[str, str | None]:
    """(transcript key, recording key) of a session in the storage layout."""
    session = transcript.session
    where = {"room": session.room, "job_id": session.job_id, "started_at": session.started_at}
    extension = FORMATS[TRANSCRIPT_FORMAT].extension
    prefix = settings.storage_prefix
    text_key = layout.object_key(prefix, "transcripts", f"transcript.{extension}", **where)
    media_key = (
        layout.object_key(prefix, "recordings", RECORDING_NAME, **where) if RECORDING_NAME else None
    )
    return text_key, media_key


def store_session(
    settings: Settings, transcript: Transcript, workdir: Path, *, spooled: bool = False
) -> str:
    """Save a session as the agent does (this project's format); returns its review path."""
    text_key, media_key = keys(settings, transcript)
    session = transcript.session
    where = {"room": session.room, "job_id": session.job_id, "started_at": session.started_at}
    spool, store = Spool(settings.spool_dir), open_store(settings.storage)
    files = {text_key: FORMATS[TRANSCRIPT_FORMAT].render(transcript).encode()}
    if media_key:
        files[media_key] = tone_recording(
            workdir / f"{transcript.session.job_id}{Path(media_key).suffix}"
        ).read_bytes()
    for key, data in files.items():
        if spooled:
            spool.write(key, data)
        else:
            source = workdir / "upload.bin"
            source.write_bytes(data)
            store.upload_file(source, key)
    folder = layout.session_folder("", "transcripts", **where)  # transcripts/Y/M/D/room/job
    return "/session/" + folder.removeprefix("transcripts/")


@dataclass
class RunningServer:
    url: str
    port: int


@contextmanager
def serving(
    settings: Settings, *, token: str = "", loopback: bool = True
) -> Iterator[RunningServer]:
    """The browse server over ``settings``' storage, on 127.0.0.1 in a thread of its own."""
    catalog = Catalog(
        open_store(settings.storage), settings.storage_prefix, Spool(settings.spool_dir)
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    app = make_app(catalog, token=token, loopback=loopback)
    runner, port = asyncio.run_coroutine_threadsafe(start(app, "127.0.0.1", 0), loop).result(30)
    try:
        yield RunningServer(f"http://127.0.0.1:{port}", port)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def chromium_path(bundled: str) -> str:
    """Debian's chromium on PATH, else playwright's own (``playwright install chromium``,
    at ``bundled``); with neither the test skips, and fails under CI=true."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None and Path(bundled).is_file():
        path = bundled
    if path is None:
        storage_server.tool_missing(
            "no chromium: apt-get install chromium, or playwright install chromium"
        )
    return path


def wait_until(page: Page, expression: str, timeout: float = 15.0) -> None:
    """Poll ``expression`` until it is true. (``page.wait_for_function`` compiles its
    predicate in the page, which the review page's CSP rightly forbids.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:g}s: {expression}")
        time.sleep(0.05)


def artefact_dir() -> Path:
    """Where tests keep screenshots (CI uploads it): ``test-artifacts/`` in the project."""
    folder = Path(os.environ.get("TEST_ARTIFACTS", storage_server.PROJECT_DIR / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def raw_get(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    host: str = "",
    method: str = "GET",
) -> tuple[int, dict, bytes]:
    """A request with the path sent exactly as given (no client-side normalisation)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest(method, path, skip_host=True)
    connection.putheader("Host", host or f"127.0.0.1:{port}")
    for name, value in (headers or {}).items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body
