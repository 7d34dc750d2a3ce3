"""4. Memory: worker RSS growth per 1,000 turns captured.

Run as a script in a fresh interpreter (``memory_growth.py <project> <turns> <steps>``)
set up like a job process (the generated agent imported, ``prewarm`` run): first
livekit's own history alone (kept alive), then a session with the archive attached,
``steps`` times ``turns`` turns each; RSS after a full GC at each step.

Also times a full garbage collection there (it holds the GIL, so it stalls the event
loop for as long as it runs): after prewarm, and with the session captured, both
with everything collectable and with the objects that existed after prewarm frozen
(``gc.freeze()``). Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
from livekit.agents import AgentSession
from loop_cost import local_env
from projects import load
from sessions import MODULES, feed, journal_written, open_archive
from synthetic import add_to_history, turn_items


def rss() -> int:
    gc.collect()
    return psutil.Process().memory_info().rss


def full_collection() -> float:
    """Seconds of the fastest of three full garbage collections."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        gc.collect()
        times.append(time.perf_counter() - started)
    return min(times)


async def measure(project: Path, turns: int, steps: int) -> dict:
    mods = load(project, *MODULES, "agent")
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    os.environ.update(local_env(workdir))
    mods.agent.prewarm(SimpleNamespace(userdata={}))
    gc_after_prewarm = full_collection()
    gc.freeze()  # as a worker could at the end of prewarm; undone before the last timing
    start = time.time() - 2 * steps * turns * 8.0

    history_only = AgentSession()
    history_rss = [rss()]
    for step in range(steps):
        for item in turn_items(turns, seed=100 + step, start=start + step * turns * 8.0):
            add_to_history(history_only, item)
        history_rss.append(rss())

    archive, session = open_archive(mods, local_env(workdir))
    capture_rss = [rss()]
    for step in range(steps):
        await feed(session, turns, seed=step, start=start + step * turns * 8.0)
        await journal_written(archive, 2 * turns * (step + 1))
        capture_rss.append(rss())
    del history_only  # the GC timings below see one session: the captured one
    gc_frozen = full_collection()
    gc.unfreeze()
    gc_with_session = full_collection()
    results = await archive.close()
    if not all(r.ok for r in results):
        raise RuntimeError(f"close did not save: {results}")
    del archive, session, results
    after_close = rss()
    return {
        "turns": turns,
        "history": history_rss,
        "capture": capture_rss,
        "after_close": after_close,
        "gc_after_prewarm": gc_after_prewarm,
        "gc_with_session": gc_with_session,
        "gc_frozen": gc_frozen,
    }


if __name__ == "__main__":
    project, turns, steps = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(asyncio.run(measure(project, turns, steps))))
