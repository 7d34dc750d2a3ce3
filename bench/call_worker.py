"""One scripted call in a real LiveKit job process, measured from inside (bench only).

    BENCH_PROJECT=DIR BENCH_CONTROL=DIR BENCH_MODE=MODE BENCH_SECONDS=S python call_worker.py

(environment variables, which the job processes inherit). Runs an unregistered
``AgentServer`` of the rendered project at BENCH_PROJECT with one
process per job, as in production, and simulates one job. MODE picks the entrypoint:

- ``quickstart``: the plain quickstart, ``session.start(agent=..., room=ctx.room)``;
- ``recorder``: the same with livekit's RecorderIO on (``record``: audio only);
- ``archive``: the generated agent, ``archive.start(...)`` and ``on_session_end=archive.save``.

The session is the project's scripted one (``tests/fakes.py``) at the pace of real
speech; the caller hangs up after SECONDS the way RoomIO does when they leave (the
session closes, nothing else). The job writes ``CONTROL_DIR/report.json``: process CPU
time (all its threads) and wall clock at session start and at the hang-up, the keys it
saves to, one full garbage collection's time at the start, and the CPU time after its
save (``archive``). The worker runs until SIGTERM; the bench waits for what it measures.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

PROJECT, CONTROL, MODE, SECONDS = (
    Path(os.environ["BENCH_PROJECT"]),
    Path(os.environ["BENCH_CONTROL"]),
    os.environ["BENCH_MODE"],
    float(os.environ["BENCH_SECONDS"]),
)
PACKAGE = next(p.name for p in (PROJECT / "src").iterdir() if (p / "__init__.py").exists())
sys.path[:0] = [str(PROJECT / "src"), str(PROJECT / "tests")]

import fakes  # noqa: E402  (the project's tests/)
import scripted  # noqa: E402
from livekit.agents import (  # noqa: E402
    AgentServer,
    JobContext,
    JobExecutorType,
    JobProcess,
    RecordingOptions,
)

archive = importlib.import_module(f"{PACKAGE}.archive")
Assistant = importlib.import_module(f"{PACKAGE}.agent").Assistant

TURNS = 100  # more than any call lasts: the caller hangs up on the clock
USER_LINES = [f"Could you tell me more about item number {n}, please?" for n in range(TURNS)]
AGENT_LINES = [
    "Hello, this is the shop assistant, how can I help?",
    *(f"Item {n} is in stock and ships within two working days." for n in range(TURNS)),
]
_report: dict[str, object] = {}
_background: set[asyncio.Task[None]] = set()


def write_report(**fields: object) -> None:
    _report.update(fields)
    (CONTROL / "report.tmp").write_text(json.dumps(_report), encoding="utf-8")
    (CONTROL / "report.tmp").rename(CONTROL / "report.json")


def setup(proc: JobProcess) -> None:
    if MODE == "archive":
        archive.prewarm(proc)


async def save(ctx: JobContext) -> None:
    await archive.save(ctx)
    write_report(saved_cpu=time.process_time(), saved_at=time.time())


async def entrypoint(ctx: JobContext) -> None:
    conversation = fakes.ScriptedConversation(
        USER_LINES, AGENT_LINES, seconds_per_char=fakes.SPEECH_SECONDS_PER_CHAR
    )
    session = conversation.session
    agent = Assistant()
    # A full collection, in CPU time (the variants run at once, so wall time would count
    # the other processes): livekit's forkserver froze what it preloaded.
    collected = time.thread_time()
    gc.collect()
    gc_seconds = time.thread_time() - collected
    began = time.time(), time.process_time()
    if MODE == "archive":
        await archive.start(ctx, session, agent=agent)
        opened = archive.opened(ctx)
        assert opened is not None
        keys = {
            "transcript": opened.transcript_key,
            "recording": opened.key("recordings", "recording.ogg"),
        }
    elif MODE == "recorder":
        record = RecordingOptions(audio=True, traces=False, logs=False, transcript=False)
        await session.start(agent=agent, room=ctx.room, record=record)
        keys = {}
    else:  # the quickstart leaves ``record`` to the LiveKit project (off for a fake job)
        await session.start(agent=agent, room=ctx.room)
        keys = {}
    session.generate_reply(instructions="Greet the user and offer your assistance.")
    write_report(
        started_at=began[0], started_cpu=began[1], keys=keys, pid=os.getpid(), gc=gc_seconds
    )

    async def call() -> None:
        with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
            await asyncio.wait_for(conversation.run(timeout=math.inf), SECONDS)
        write_report(
            hung_up_at=time.time(),
            hung_up_cpu=time.process_time(),
            turns=sum(1 for m in session.history.messages() if m.role == "user"),
        )
        scripted.hang_up(session)

    task = asyncio.create_task(call())  # the entrypoint returns, as the agent's does
    _background.add(task)
    task.add_done_callback(_background.discard)


def fake_egress_api() -> object | None:
    """For an egress project: the tests' Twirp Egress server, and LIVEKIT_* pointing at it
    (set before the server starts its job processes, which inherit them)."""
    if not (PROJECT / "src" / PACKAGE / "recording" / "egress.py").exists():
        return None
    from twirp_server import API_KEY, API_SECRET, TwirpEgressServer

    twirp = TwirpEgressServer().start()
    os.environ |= {
        "LIVEKIT_URL": twirp.url,
        "LIVEKIT_API_KEY": API_KEY,
        "LIVEKIT_API_SECRET": API_SECRET,
    }
    return twirp


async def serve() -> None:
    twirp = fake_egress_api()
    server = AgentServer(
        **archive.SERVER_OPTIONS,
        job_executor_type=JobExecutorType.PROCESS,
        num_idle_processes=1,
        load_threshold=math.inf,
        host="127.0.0.1",
        port=0,
    )
    server.setup_fnc = setup
    server.rtc_session(on_session_end=save if MODE == "archive" else None)(entrypoint)
    terminated = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminated.set)
    started = asyncio.Event()
    server.on("worker_started", lambda *_: started.set())
    running = asyncio.create_task(server.run(unregistered=True))
    await started.wait()
    await server.simulate_job("bench-call", fake_job=True)
    await terminated.wait()
    await server.aclose()
    await running
    if twirp is not None:
        twirp.stop()


if __name__ == "__main__":  # job processes import this module too: start nothing there
    asyncio.run(serve())
