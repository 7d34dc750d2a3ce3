"""1. Event-loop cost of live capture, per item and at session end, per format.

Per item: ``capture.add(item)`` (the conversation_item_added handler's work) timed on
the loop, items paced like a call so caches are as cold as in production; the same
items delivered through livekit's ``session.emit`` (adds its per-listener
``inspect.signature``); and a no-op listener through ``session.emit``, the floor.

At session end: the longest loop stall while ``archive.close`` runs, measured by a
1 ms ticker (with the garbage collections in that window), the CPU time of the loop
thread itself during close, and the LiveKit docs' ``json.dump(session.history.to_dict())``
in the shutdown callback, which runs on the loop, as the baseline. The floor: the same
ticker beside a thread spinning in pure Python, in as many windows as there are closes;
no work in another thread of the process can stall the loop less than that.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from livekit.agents import AgentSession
from loopwatch import LoopWatch, blocking_pause, busy_thread_jitter, idle_jitter
from projects import load
from report import AT_FLOOR, FAILED, MET, MISSED, Row, verdict
from sessions import MODULES, feed, journal_written, open_archive
from stats import median, ms, percentile, us

FORMATS = ("json", "jsonl", "text", "markdown", "webvtt", "srt")
ITEM_GOAL_NS = 100_000
STALL_GOAL = 0.005
# epoll rounds the ticker's timeouts up to whole milliseconds: finer differences are noise.
TICKER_RESOLUTION = 0.001


@dataclass
class Sizes:
    item_turns: int  # session length for the per-item numbers
    stall_turns: tuple[int, ...]  # session lengths for the stall at close
    repeats: int
    pace: float = 0.001


@dataclass
class FormatResult:
    handler_ns: list[int] = field(default_factory=list)
    emit_ns: list[int] = field(default_factory=list)
    stalls: dict[int, list[float]] = field(default_factory=dict)
    close_seconds: dict[int, list[float]] = field(default_factory=dict)
    gc: dict[int, list[float]] = field(default_factory=dict)  # longest collection per close
    docs_pause: dict[int, list[float]] = field(default_factory=dict)
    loop_cpu: float = 0.0


def local_env(workdir: Path) -> dict[str, str]:
    return {
        "LOCAL_STORAGE_DIR": str(workdir / "store"),
        "SPOOL_DIR": str(workdir / "spool"),
        "UPLOAD_TIMEOUT": "30",
    }


def check_durable(mods: SimpleNamespace, archive: Any, results: list[Any], turns: int) -> None:
    """The close saved everything, and the stored transcript holds every turn."""
    failed = [r for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"close did not save: {failed}")
    body = archive.store.read_bytes(archive.transcript_key).decode("utf-8")
    if archive.transcript_key.endswith((".json", ".jsonl")):
        entries = mods.transcript_model.Transcript.from_text(body).entries
        if len(entries) != 2 * turns:
            raise RuntimeError(f"stored transcript has {len(entries)} items, expected {2 * turns}")
    elif body.count("\n") < turns:
        raise RuntimeError(f"stored transcript has only {body.count(chr(10))} lines")


async def close_measured(archive: Any, session: AgentSession) -> tuple[LoopWatch, float, list[Any]]:
    """(loop watch, wall time, results) of ``archive.close()``."""
    async with LoopWatch() as watch:
        started = time.perf_counter()
        results = await archive.close()
        took = time.perf_counter() - started
    return watch, took, results


def docs_dump(session: AgentSession, path: Path) -> None:
    """The LiveKit docs' shutdown callback body: blocking file I/O on the loop."""
    with open(path, "w") as handle:
        json.dump(session.history.to_dict(), handle, indent=2)


async def noop_floor(sizes: Sizes) -> list[int]:
    """Per-item time of a listener that does nothing, through ``session.emit``."""
    session = AgentSession()

    def ignore(event: Any) -> None:
        pass

    session.on("conversation_item_added", ignore)
    return await feed(session, sizes.item_turns, pace=sizes.pace)


async def bench_format(project: Path, sizes: Sizes, workdir: Path, baseline: bool) -> FormatResult:
    mods = load(project, *MODULES)
    env = local_env(workdir)
    result = FormatResult()

    archive, session = open_archive(mods, env)
    result.handler_ns = await feed(
        session,
        sizes.item_turns,
        pace=sizes.pace,
        deliver=lambda event: archive.capture.add(event.item),
    )
    check_durable(mods, archive, await archive.close(), sizes.item_turns)

    archive, session = open_archive(mods, env)
    result.emit_ns = await feed(session, sizes.item_turns, pace=sizes.pace)
    check_durable(mods, archive, await archive.close(), sizes.item_turns)

    for turns in sizes.stall_turns:
        for _ in range(sizes.repeats):
            archive, session = open_archive(mods, env)
            await feed(session, turns)
            await journal_written(archive, 2 * turns)
            watch, took, results = await close_measured(archive, session)
            check_durable(mods, archive, results, turns)
            result.stalls.setdefault(turns, []).append(watch.max_stall)
            result.gc.setdefault(turns, []).append(watch.max_gc)
            result.close_seconds.setdefault(turns, []).append(took)
            if baseline:
                path = workdir / "docs-transcript.json"
                pause, _ = await blocking_pause(lambda s=session, p=path: docs_dump(s, p))
                result.docs_pause.setdefault(turns, []).append(pause)
    turns = max(sizes.stall_turns)
    result.loop_cpu = median(
        [await loop_cpu_in_close(mods, turns, env) for _ in range(sizes.repeats)]
    )
    return result


async def loop_cpu_in_close(mods: SimpleNamespace, turns: int, env: dict[str, str]) -> float:
    """CPU time the loop thread itself spends in one ``archive.close``, in seconds.

    Thread CPU time excludes waiting (for the GIL, I/O or other processes), so this is
    the part of close that runs on the loop, whatever the machine's load.
    """
    archive, session = open_archive(mods, env)
    await feed(session, turns)
    await journal_written(archive, 2 * turns)
    await asyncio.sleep(0)
    started = time.thread_time()
    await archive.close()
    return time.thread_time() - started


def rows_for(fmt: str, res: FormatResult, sizes: Sizes, floor: float) -> list[Row]:
    handler_p99 = percentile(res.handler_ns, 99)
    rows = [
        Row(
            "1",
            f"on-loop µs/item, median / p99 ({fmt}, {sizes.item_turns} turns)",
            f"handler {us(median(res.handler_ns))} / {us(handler_p99)}; via session.emit "
            f"{us(median(res.emit_ns))} / {us(percentile(res.emit_ns, 99))}",
            "p99 < 100 µs",
            verdict(handler_p99 < ITEM_GOAL_NS),
        )
    ]
    worst = max(max(v) for v in res.stalls.values())
    # "at floor": no worse than the busy-thread floor by more than TICKER_RESOLUTION.
    stall_verdict = MET if worst < STALL_GOAL else AT_FLOOR if worst <= floor else MISSED
    rows.append(
        Row(
            "1",
            f"longest loop stall in archive.close ({fmt}), worst / median of {sizes.repeats}",
            "; ".join(
                f"{t} turns {ms(max(v))} / {ms(median(v))} (close "
                f"{ms(median(res.close_seconds[t]))}, GC ≤ {ms(max(res.gc[t]))})"
                for t, v in res.stalls.items()
            )
            + f"; loop-thread CPU in close {ms(res.loop_cpu)} at {max(sizes.stall_turns)} turns",
            "< 5 ms",
            stall_verdict,
        )
    )
    return rows


async def run(projects: dict[str, Path], sizes: Sizes, workdir: Path) -> list[Row]:
    rows: list[Row] = []
    jitter = await idle_jitter(1.0)
    floor = await noop_floor(sizes)
    rows.append(
        Row(
            "1",
            "floor: no-op listener via session.emit, µs/item median / p99",
            f"{us(median(floor))} / {us(percentile(floor, 99))}",
        )
    )

    docs: dict[int, list[float]] = {}
    results: dict[str, FormatResult] = {}
    for fmt in FORMATS:
        project = projects.get(fmt)
        if project is None:
            continue
        try:
            results[fmt] = await bench_format(project, sizes, workdir / fmt, baseline=not docs)
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"[:160]
            rows.append(Row("1", f"live capture ({fmt})", reason, "", FAILED))
            continue
        docs = docs or results[fmt].docs_pause
    # As many windows as closes per format, each as long as a typical close.
    closes = [median(v) for r in results.values() for v in r.close_seconds.values()]
    window = median(closes) if closes else 0.1
    busy = await busy_thread_jitter(sizes.repeats * len(sizes.stall_turns), window)
    for fmt, res in results.items():
        rows += rows_for(fmt, res, sizes, max(busy) + TICKER_RESOLUTION)
    rows.append(
        Row(
            "1",
            "floor: ticker lateness, idle / busy Python thread (worst / median)",
            f"idle {ms(jitter)} (1 s); busy thread {ms(max(busy))} / {ms(median(busy))} "
            f"({len(busy)} windows of "
            f"{ms(window)}, GIL switch interval {ms(sys.getswitchinterval())})",
        )
    )
    if docs:
        rows.append(
            Row(
                "1",
                "baseline: docs' json.dump(history.to_dict()) on the loop, single pause",
                "; ".join(f"{t} turns {ms(median(v))}" for t, v in docs.items()),
            )
        )
    return rows


async def profile_close(project: Path, turns: int, workdir: Path) -> list[str]:
    """pyinstrument profiles of one ``archive.close``: the loop thread, and each blocking
    step that ``SessionArchive`` runs in a worker thread."""
    from pyinstrument import Profiler  # only needed here (a dev tool)

    mods = load(project, *MODULES)
    archive, session = open_archive(mods, local_env(workdir))
    await feed(session, turns)
    await journal_written(archive, 2 * turns)
    threads: list[tuple[str, Profiler]] = []

    def profiled(name: str, function: Any) -> Any:
        def run(*args: Any) -> Any:
            profiler = Profiler(interval=0.0005, async_mode="disabled")
            profiler.start()
            try:
                return function(*args)
            finally:
                profiler.stop()
                threads.append((name, profiler))

        return run

    for name in ("_final_transcript", "_spool_files"):  # the blocking steps of close
        if hasattr(archive, name):
            setattr(archive, name, profiled(name, getattr(archive, name)))
    on_loop = Profiler(interval=0.0005, async_mode="disabled")
    async with LoopWatch() as watch:
        on_loop.start()
        await archive.close()
        on_loop.stop()
    text = [f"profile of archive.close, {turns} turns, longest loop stall {ms(watch.max_stall)}"]
    text.append("on the loop thread:\n" + on_loop.output_text(unicode=True, color=False))
    for name, profiler in threads:
        text.append(f"off the loop, {name}:\n" + profiler.output_text(unicode=True, color=False))
    return text
