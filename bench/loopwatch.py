"""Event-loop stall measurement.

A ticker task asks to wake every ``period`` seconds and records how late it woke.
A late wake-up means something kept the loop (or the GIL) busy: that lateness is
the stall. ``idle_jitter`` measures the same ticker with nothing else running, the
floor of what this machine can resolve (epoll rounds timeouts up to whole ms).
Garbage collections in the window are timed too: a collection holds the GIL in
whichever thread triggered it, so it stalls the loop for as long as it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
import time
from typing import Any


class LoopWatch:
    def __init__(self, period: float = 0.001) -> None:
        self.period = period
        self.lateness: list[float] = []
        self.collections: list[tuple[int, float]] = []  # (generation, seconds)
        self._task: asyncio.Task[None] | None = None
        self._gc_started: dict[int, float] = {}

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        thread = threading.get_ident()
        if phase == "start":
            self._gc_started[thread] = time.perf_counter()
        elif thread in self._gc_started:
            took = time.perf_counter() - self._gc_started.pop(thread)
            self.collections.append((info["generation"], took))

    async def _tick(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.period)
            self.lateness.append(time.perf_counter() - asked - self.period)

    async def __aenter__(self) -> LoopWatch:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(self.period * 3)  # let the ticker settle
        self.lateness.clear()
        gc.callbacks.append(self._on_gc)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.sleep(self.period * 2)  # catch a stall right at the end
        gc.callbacks.remove(self._on_gc)
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    @property
    def max_stall(self) -> float:
        return max(self.lateness, default=0.0)

    @property
    def max_gc(self) -> float:
        """The longest garbage collection in the window, in seconds."""
        return max((took for _, took in self.collections), default=0.0)


async def idle_jitter(duration: float = 0.3) -> float:
    """Longest lateness of the ticker on an otherwise idle loop, in seconds."""
    async with LoopWatch() as watch:
        await asyncio.sleep(duration)
    return watch.max_stall


async def busy_thread_jitter(windows: int, duration: float) -> list[float]:
    """Longest lateness of the ticker in each of ``windows`` windows while another thread
    computes in pure Python: the least any work in a worker thread can stall the loop,
    at this switch interval, on this machine."""
    stalls = []
    for _ in range(windows):
        stop = threading.Event()

        def spin(stop: threading.Event = stop) -> None:
            total = 0
            while not stop.is_set():
                for number in range(1000):
                    total += number

        spinner = threading.Thread(target=spin, name="busy", daemon=True)
        async with LoopWatch() as watch:
            spinner.start()
            await asyncio.sleep(duration)
            stop.set()
        spinner.join()
        stalls.append(watch.max_stall)
    return stalls


async def blocking_pause(work) -> tuple[float, float]:
    """Run ``work()`` on the loop (blocking it); return (its duration, ticker max stall)."""
    async with LoopWatch() as watch:
        await asyncio.sleep(0)
        started = time.perf_counter()
        work()
        took = time.perf_counter() - started
    return took, watch.max_stall
