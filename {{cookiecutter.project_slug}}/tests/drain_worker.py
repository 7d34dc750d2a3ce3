"""A real LiveKit ``AgentServer`` whose jobs play scripted conversations (tests only).

    python tests/drain_worker.py CONTROL_DIR DRAIN_TIMEOUT ROOM [ROOM ...]

The server runs unregistered (no LiveKit server needed) with one process per job, as in
production, and simulates one job per ROOM. Each job is the agent's own: ``archive.start``
and ``on_session_end=archive.save`` with a scripted session instead of the real models,
and the server's options are the agent's (``archive.SERVER_OPTIONS``) but for the drain
timeout. The room name picks the script:

- ``hangup`` and ``drain``: short calls that end with the caller hanging up, the way
  RoomIO ends a session when its participant leaves (``scripted.hang_up``): nothing
  calls ``ctx.shutdown()``; the archive has to end the job itself.
- ``cut`` and ``kill``: calls far longer than the test; they end only when the worker
  shuts them down, or when the test kills their process.

Each job writes ``CONTROL_DIR/<room>.json`` (its pid, job id, journal and transcript key)
when its session has started, and ``CONTROL_DIR/<room>.hung-up`` (the time) when its
caller hangs up. SIGTERM drains the worker, then closes it, exactly as the
LiveKit CLI does: ``await server.drain()`` (bounded by ``drain_timeout``), then
``await server.aclose()``, which asks the remaining jobs to shut down and kills any job
still running ``shutdown_process_timeout`` seconds later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import signal
import sys
import time
from pathlib import Path

from livekit.agents import AgentServer, JobContext, JobExecutorType, JobProcess

import fakes
import scripted
from {{ cookiecutter.package_name }} import archive
from {{ cookiecutter.package_name }}.agent import Assistant
from {{ cookiecutter.package_name }}.storage import STORE_MODULE

logger = logging.getLogger("drain_worker")

LONG_CALL = 200  # user turns: far more than any test waits for
SCRIPTS: dict[str, tuple[list[str], list[str]]] = {
    "hangup": (["Hello there", "Thanks, goodbye"], ["Hi, how can I help", "Hello", "Goodbye"]),
    "drain": (
        [
            "Hello there",
            "Can you check my order",
            "It is order one two three",
            "When will it arrive",
            "Can I change the address",
            "Thanks, goodbye",
        ],
        [
            "Hi, how can I help",
            "Hello, what do you need",
            "Sure, what is the order number",
            "Found it, it shipped yesterday",
            "It arrives on Friday",
            "Yes, the address is updated",
            "Goodbye",
        ],
    ),
    "cut": (
        [f"Cut question {n}" for n in range(1, LONG_CALL + 1)],
        ["Hi, ask me anything", *(f"Cut answer {n}" for n in range(1, LONG_CALL + 1))],
    ),
    "kill": (
        [f"Kill question {n}" for n in range(1, LONG_CALL + 1)],
        ["Hi, ask me anything", *(f"Kill answer {n}" for n in range(1, LONG_CALL + 1))],
    ),
}
CONTROL_DIR = "DRAIN_WORKER_CONTROL_DIR"
_background: set[asyncio.Task[None]] = set()


def setup(proc: JobProcess) -> None:
    """``agent.prewarm`` without the VAD model (the scripted session brings its own)."""
    proc.userdata["store_preloaded"] = STORE_MODULE in sys.modules  # by the forkserver
    archive.prewarm(proc)


def write_report(name: str, report: object) -> None:
    """Tell the test about the job: ``CONTROL_DIR/<name>``, written atomically."""
    control = Path(os.environ[CONTROL_DIR])
    (control / f"{name}.tmp").write_text(json.dumps(report), encoding="utf-8")
    (control / f"{name}.tmp").rename(control / name)


async def entrypoint(ctx: JobContext) -> None:
    script = ctx.job.room.name
    conversation = fakes.ScriptedConversation(*SCRIPTS[script])
    session = conversation.session
    await archive.start(ctx, session, agent=Assistant())
    session.generate_reply(instructions="Greet the user and offer your assistance.")
    opened = archive.opened(ctx)
    assert opened is not None
    report = {
        "pid": os.getpid(),
        "job_id": ctx.job.id,
        "journal": str(opened.capture.journal.path),
        "transcript_key": opened.transcript_key,
        "journal_key": opened.key("transcripts", "transcript.partial.jsonl"),
        "store_preloaded": ctx.proc.userdata["store_preloaded"],
    }
    await asyncio.to_thread(write_report, f"{script}.json", report)

    async def play() -> None:
        await conversation.run(timeout=3600)
        await asyncio.to_thread(write_report, f"{script}.hung-up", time.time())
        scripted.hang_up(session)

    task = asyncio.create_task(play())  # the entrypoint returns, as the real one does
    _background.add(task)
    task.add_done_callback(_background.discard)


def create_server(drain_timeout: int) -> AgentServer:
    server = AgentServer(
        **(archive.SERVER_OPTIONS | {"drain_timeout": drain_timeout}),
        job_executor_type=JobExecutorType.PROCESS,
        num_idle_processes=1,
        load_threshold=math.inf,  # keep replacing processes however busy the test machine is
        host="127.0.0.1",  # the health server: loopback only, any free port
        port=0,
    )
    server.setup_fnc = setup
    server.rtc_session(on_session_end=archive.save)(entrypoint)
    return server


async def serve(drain_timeout: int, rooms: list[str]) -> None:
    server = create_server(drain_timeout)
    terminated = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminated.set)
    started = asyncio.Event()
    server.on("worker_started", lambda *_: started.set())
    running = asyncio.create_task(server.run(unregistered=True))
    await started.wait()
    for room in rooms:
        await server.simulate_job(room, fake_job=True)
    await terminated.wait()
    # what the LiveKit CLI does on SIGTERM (livekit/agents/cli/cli.py)
    began = time.monotonic()
    logger.info("SIGTERM: draining")
    try:
        await server.drain()
    except asyncio.TimeoutError:
        logger.warning("drain timed out after %ss, forcing shutdown", drain_timeout)
    logger.info("drained in %.2fs; closing", time.monotonic() - began)
    await server.aclose()
    await running
    logger.info("closed %.2fs after SIGTERM", time.monotonic() - began)


def main(argv: list[str]) -> int:
    control, drain_timeout, *rooms = argv
    os.environ[CONTROL_DIR] = str(Path(control).resolve())
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    asyncio.run(serve(int(drain_timeout), rooms))
    return 0


if __name__ == "__main__":  # job processes import this module: start nothing then
    sys.exit(main(sys.argv[1:]))
