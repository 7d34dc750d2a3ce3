"""A real AgentSession with a SessionArchive attached, fed synthetic items.

The session is never started (no models, no room): the archive only listens to its
events and reads its history, which is all live capture and ``archive.close`` use.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from livekit.agents import AgentSession
from synthetic import add_to_history, turn_items

MODULES = ("archive", "settings", "storage", "transcript.model")


def open_archive(mods: SimpleNamespace, env: dict[str, str]) -> tuple[Any, AgentSession]:
    settings = mods.settings.Settings.from_env(env)
    info = mods.transcript_model.SessionInfo(
        room="bench-room",
        room_id="RM_bench",
        job_id=f"AJ_{uuid.uuid4().hex[:12]}",
        agent_name="bench-agent",
        started_at=time.time(),
    )
    session = AgentSession()
    store = mods.storage.open_store(settings.storage)
    archive = mods.archive.SessionArchive(session, settings, store, info)
    archive.capture.attach(session)
    return archive, session


async def feed(
    session: AgentSession,
    turns: int,
    *,
    pace: float | None = None,
    deliver: Callable[[Any], None] | None = None,
    seed: int = 7,
    start: float | None = None,
) -> list[int]:
    """Add ``turns`` turns to the history and announce each item.

    ``deliver(event)`` announces one item (default: ``session.emit``); its duration on
    the loop is returned per item, in ns. ``pace`` sleeps between items, like a call.
    """
    deliver = deliver or (lambda event: session.emit("conversation_item_added", event))
    durations = []
    for item in turn_items(turns, seed=seed, start=start):
        event = add_to_history(session, item)
        started = time.perf_counter_ns()
        deliver(event)
        durations.append(time.perf_counter_ns() - started)
        if pace is not None:
            await asyncio.sleep(pace)
    return durations


def _line_count(path: Path) -> int:
    try:
        with open(path, "rb") as handle:
            return sum(1 for _ in handle)
    except FileNotFoundError:
        return 0


async def journal_written(archive: Any, items: int, timeout: float = 30.0) -> None:
    """Wait until the live journal holds the header and ``items`` items.

    A real call spaces items seconds apart, so the journal is always caught up when
    the session ends; feeding without pauses must wait for it before timing ``close``.
    """
    path = archive.capture.journal.path
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(_line_count, path) < items + 1:
        if time.monotonic() > deadline:
            raise TimeoutError(f"journal {path} did not reach {items} items in {timeout:g}s")
        await asyncio.sleep(0.005)
