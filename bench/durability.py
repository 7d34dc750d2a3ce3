"""2. Time from session close to a durable transcript, per storage backend.

``archive.close`` from start to the verified upload: finish the live journal, render
the final transcript, write it to the spool (fsync), upload it and check the stored
size. Local directory, and S3 / GCS / Azure through their local emulators.
"""

from __future__ import annotations

from pathlib import Path

from emulators import START, Emulator
from loop_cost import check_durable, close_measured
from projects import load
from report import FAILED, SKIPPED, Row, verdict
from sessions import MODULES, feed, journal_written, open_archive
from stats import median, ms

BACKENDS = ("local", "s3", "gcs", "azure")
SHUTDOWN_BUDGET = 60.0
LINEAR_LIMIT = 1.5  # per-turn time at the largest size / at the smallest


async def bench_backend(
    project: Path, env: dict[str, str], sizes: tuple[int, ...], repeats: int, workdir: Path
) -> tuple[dict[int, list[float]], float, float]:
    """Close times per session length, the longest loop stall and garbage collection."""
    mods = load(project, *MODULES)
    env = env | {"SPOOL_DIR": str(workdir / "spool"), "UPLOAD_TIMEOUT": "30"}
    # As in a worker, whose prewarm thread loads the storage SDK before any session ends.
    mods.storage.open_store(mods.settings.Settings.from_env(env).storage).open()
    times: dict[int, list[float]] = {}
    worst_stall = worst_gc = 0.0
    for turns in sizes:
        for _ in range(repeats):
            archive, session = open_archive(mods, env)
            await feed(session, turns)
            await journal_written(archive, 2 * turns)
            watch, took, results = await close_measured(archive, session)
            check_durable(mods, archive, results, turns)
            times.setdefault(turns, []).append(took)
            worst_stall = max(worst_stall, watch.max_stall)
            worst_gc = max(worst_gc, watch.max_gc)
    return times, worst_stall, worst_gc


def row_for(
    backend: str, fmt: str, times: dict[int, list[float]], stall: float, gc: float, reps: int
) -> Row:
    sizes = sorted(times)
    small, large = sizes[0], sizes[-1]
    per_turn_ratio = (median(times[large]) / large) / (median(times[small]) / small)
    slowest = max(max(v) for v in times.values())
    result = " / ".join(ms(median(times[t])) for t in sizes)
    result += f"; per-turn {large}/{small} = {per_turn_ratio:.2f}x; loop stall ≤ {ms(stall)}"
    result += f" (GC ≤ {ms(gc)})"
    ok = per_turn_ratio <= LINEAR_LIMIT and slowest < SHUTDOWN_BUDGET
    turns = " / ".join(map(str, sizes))
    return Row(
        "2",
        f"close → durable, {backend} ({fmt}), {turns} turns, median of {reps}",
        result,
        f"linear (≤ {LINEAR_LIMIT}x), < {SHUTDOWN_BUDGET:g} s",
        verdict(ok),
    )


async def run(
    projects: dict[str, Path],
    sizes: tuple[int, ...],
    repeats: int,
    workdir: Path,
    emulators: dict[str, Emulator | Exception],
    may_skip: bool,
    fmt: str,
) -> list[Row]:
    rows = []
    for backend in BACKENDS:
        project = projects.get(backend)
        if project is None:
            continue
        label = f"close → durable, {backend}"
        if backend == "local":
            env = {"LOCAL_STORAGE_DIR": str(workdir / backend / "store")}
        else:
            emulator = emulators.get(backend)
            if not isinstance(emulator, Emulator):
                reason = f"emulator did not start: {emulator}"[:160]
                rows.append(Row("2", label, reason, "", SKIPPED if may_skip else FAILED))
                continue
            env = emulator.env
        try:
            times, stall, gc = await bench_backend(project, env, sizes, repeats, workdir / backend)
        except Exception as error:
            rows.append(Row("2", label, f"{type(error).__name__}: {error}"[:160], "", FAILED))
            continue
        rows.append(row_for(backend, fmt, times, stall, gc, repeats))
    return rows


def start_emulators(names: list[str]) -> dict[str, Emulator | Exception]:
    """Start the emulators in parallel; a failure is kept as the exception."""
    from concurrent.futures import ThreadPoolExecutor

    def start(name: str) -> Emulator | Exception:
        try:
            return START[name]()
        except Exception as error:
            return error

    with ThreadPoolExecutor(len(names) or 1) as pool:
        return dict(zip(names, pool.map(start, names), strict=True))
