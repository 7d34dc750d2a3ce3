"""Template-level benchmarks: prints ONE table of medians and ratios.

    python bench/run.py            full run (about 9 minutes on 2 cores, plus ~40 s of harness)
    python bench/run.py --quick    CI smoke: small sizes, few repetitions, about 75 s
    python bench/run.py --profile  also print pyinstrument profiles of archive.close

Goals are reported (met / MISSED), never asserted: the exit code is 1 only when a
measurement could not run (a render, an import, a save or a required emulator failed).
Everything runs on 127.0.0.1; fresh projects are rendered into a temporary directory.
See docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import calls  # noqa: E402
import cold_start  # noqa: E402
import durability  # noqa: E402
import harness_time  # noqa: E402
import loop_cost  # noqa: E402
from projects import render  # noqa: E402
from report import FAILED, Row, table, verdict  # noqa: E402
from stats import ms  # noqa: E402


@dataclass(frozen=True)
class Plan:
    sizes: loop_cost.Sizes
    durable_turns: tuple[int, ...]
    durable_repeats: int
    cold_runs: int
    cold_warmup: bool
    cold_backends: tuple[str, ...]
    memory_turns: int
    memory_steps: int
    harness_tiers: tuple[str, ...]
    hangup_repeats: int
    hangup_backends: tuple[str, ...]
    call_seconds: float
    call_rounds: int


FULL = Plan(
    sizes=loop_cost.Sizes(item_turns=1000, stall_turns=(1000, 2000), repeats=5),
    durable_turns=(100, 1000, 2000),
    durable_repeats=5,
    cold_runs=11,
    cold_warmup=True,
    cold_backends=durability.BACKENDS,
    memory_turns=1000,
    memory_steps=2,
    harness_tiers=("fast",),
    hangup_repeats=3,
    hangup_backends=durability.BACKENDS,
    call_seconds=30.0,
    call_rounds=5,
)
QUICK = Plan(
    sizes=loop_cost.Sizes(item_turns=100, stall_turns=(100, 200), repeats=1),
    durable_turns=(100, 300),
    durable_repeats=1,
    cold_runs=1,
    cold_warmup=False,
    cold_backends=("local",),
    memory_turns=200,
    memory_steps=2,
    harness_tiers=(),
    hangup_repeats=1,
    hangup_backends=("local",),
    call_seconds=10.0,
    call_rounds=1,
)
MEMORY_GOAL_MB = 10.0  # per 1,000 turns, for the capture's own share


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def render_all(root: Path) -> tuple[dict[str, Path], dict[str, Path], list[Row]]:
    """One project per transcript format (local backend) and per remote backend (json)."""
    by_format: dict[str, Path] = {}
    by_backend: dict[str, Path] = {}
    failures = []
    for fmt in loop_cost.FORMATS:
        try:
            by_format[fmt] = render(root / f"format-{fmt}", transcript_format=fmt)
        except Exception as error:
            label = f"render transcript_format={fmt}"
            failures.append(Row("-", label, str(error)[:160], "", FAILED))
    if "json" in by_format:
        by_backend["local"] = by_format["json"]
    for backend in durability.BACKENDS[1:]:
        try:
            by_backend[backend] = render(root / f"backend-{backend}", storage_backend=backend)
        except Exception as error:
            label = f"render storage_backend={backend}"
            failures.append(Row("-", label, str(error)[:160], "", FAILED))
    return by_format, by_backend, failures


def render_recordings(root: Path, agent_audio: Path | None) -> tuple[dict[str, Path], list[Row]]:
    """Local projects per recording mode, for section 7 (agent_audio is the default)."""
    projects = {"agent_audio": agent_audio} if agent_audio else {}
    failures = []
    for mode in ("egress_audio", "none"):
        try:
            projects[mode] = render(root / f"recording-{mode}", recording=mode)
        except Exception as error:
            failures.append(Row("7", f"render recording={mode}", str(error)[:160], "", FAILED))
    return projects, failures


def call_sections(
    plan: Plan,
    by_backend: dict[str, Path],
    emulators: dict[str, durability.Emulator | Exception],
    work: Path,
) -> list[Row]:
    progress("6. hang-up → durable, real worker and job process, per backend")
    envs: dict[str, dict[str, str] | Exception] = {
        "local": {"LOCAL_STORAGE_DIR": str(work / "calls" / "local-store")}
    }
    for name, emulator in emulators.items():
        envs[name] = emulator.env if isinstance(emulator, durability.Emulator) else emulator
    projects = {b: p for b, p in by_backend.items() if b in plan.hangup_backends}
    rows = calls.hangup_rows(projects, envs, plan.hangup_repeats, work / "calls" / "hangup")
    progress("7. CPU per call-minute, generated vs quickstart (all at once)")
    recordings, failures = render_recordings(work / "renders", by_backend.get("local"))
    if failures or "agent_audio" not in recordings:
        return rows + failures
    return rows + calls.cpu_rows(
        recordings, envs["local"], plan.call_seconds, plan.call_rounds, work / "calls" / "cpu"
    )


def memory_rows(project: Path, plan: Plan) -> list[Row]:
    done = subprocess.run(
        [sys.executable, str(HERE / "memory_growth.py"), str(project), str(plan.memory_turns),
         str(plan.memory_steps)],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        return [Row("4", "memory", done.stderr.strip()[-160:], "", FAILED)]
    data = json.loads(done.stdout.strip().splitlines()[-1])
    per_1000 = 1000 / data["turns"] / 2**20

    def steps(series: list[int]) -> list[float]:
        return [(b - a) * per_1000 for a, b in itertools.pairwise(series)]

    def mb(values: list[float]) -> str:
        return " / ".join(f"{v:+.1f}" for v in values) + " MB"

    history, combined = steps(data["history"]), steps(data["capture"])
    capture = [c - h for c, h in zip(combined, history, strict=True)]
    released = (data["after_close"] - data["capture"][-1]) / 2**20
    total_turns = data["turns"] * plan.memory_steps
    return [
        Row(
            "1",
            "full garbage collection in a job process (fresh interpreter, after prewarm)",
            f"{ms(data['gc_after_prewarm'])}; with a {total_turns}-turn session captured "
            f"{ms(data['gc_with_session'])}; with gc.freeze() after prewarm "
            f"{ms(data['gc_frozen'])}",
        ),
        Row(
            "4",
            f"RSS growth per 1,000 turns ({plan.memory_steps} steps of {data['turns']} turns)",
            f"capture {mb(capture)} (history+capture {mb(combined)}, livekit history alone "
            f"{mb(history)}); after close {released:+.1f} MB",
            f"bounded, < {MEMORY_GOAL_MB:g} MB",
            verdict(max(capture) < MEMORY_GOAL_MB),
        ),
    ]


async def durability_section(
    plan: Plan,
    by_backend: dict[str, Path],
    emulators: dict[str, durability.Emulator | Exception],
    work: Path,
    quick: bool,
) -> list[Row]:
    progress("2. close → durable transcript, per backend")
    may_skip = quick and os.environ.get("CI", "").lower() != "true"
    return await durability.run(
        by_backend, plan.durable_turns, plan.durable_repeats, work / "durable", emulators,
        may_skip, fmt="json",
    )  # fmt: skip


def stop_emulators(emulators: dict[str, durability.Emulator | Exception]) -> None:
    for emulator in emulators.values():
        if isinstance(emulator, durability.Emulator):
            emulator.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI smoke mode (about 75 s)")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profiles of close")
    parser.add_argument("--slow-tier", action="store_true", help="also time the harness slow tier")
    parser.add_argument("--no-harness", action="store_true", help="skip timing the harness")
    parser.add_argument("--keep", action="store_true", help="keep the rendered projects")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    tiers = list(plan.harness_tiers) + (["slow"] if args.slow_tier and not args.quick else [])
    if args.no_harness:
        tiers = []
    work = Path(tempfile.mkdtemp(prefix="lk-bench-"))
    started = time.perf_counter()
    rows: list[Row] = []
    notes: list[str] = []
    emulators: dict[str, durability.Emulator | Exception] = {}
    try:
        progress(f"rendering projects into {work}")
        by_format, by_backend, rows = render_all(work / "renders")
        progress("1. live capture on the event loop, per format")
        rows += asyncio.run(loop_cost.run(by_format, plan.sizes, work / "loop"))
        # Started only now: idle emulators still wake up (timers, their own GC), which
        # would show in section 1's stalls on 2 cores.
        progress("starting storage emulators")
        emulators = durability.start_emulators(list(durability.BACKENDS[1:]))
        rows += asyncio.run(durability_section(plan, by_backend, emulators, work, args.quick))
        rows += call_sections(plan, by_backend, emulators, work)
        progress("3. worker cold start (fresh interpreters, alternating)")
        cold = {b: p for b, p in by_backend.items() if b in plan.cold_backends}
        try:
            env = cold_start.storage_env(work / "cold", emulators)
            cold = {b: p for b, p in cold.items() if b in env}  # a skipped emulator is reported
            rows += cold_start.run(cold, env, plan.cold_runs, plan.cold_warmup, work / "cold")
        except Exception as error:
            rows.append(Row("3", "cold start", str(error)[:160], "", FAILED))
        stop_emulators(emulators)  # idle, they still take CPU from sections 4 and 5
        emulators = {}
        if "json" in by_format:
            progress("4. memory growth (fresh interpreter)")
            rows += memory_rows(by_format["json"], plan)
            if args.profile:
                progress("profiling archive.close (pyinstrument)")
                turns = max(plan.sizes.stall_turns)
                notes += asyncio.run(
                    loop_cost.profile_close(by_format["json"], turns, work / "profile")
                )
        if tiers:
            progress(f"5. harness wall time: {tiers}")
            rows += harness_time.run(tiers)
    finally:
        stop_emulators(emulators)
        if args.keep:
            progress(f"renders kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    mode = "quick" if args.quick else "full"
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"bench/run.py ({mode}, {os.cpu_count()} cores, load average {load}, "
        f"Python {sys.version.split()[0]}, {time.perf_counter() - started:.0f} s)"
    )
    print(table(sorted(rows, key=lambda row: row.section.isdigit() and int(row.section))))
    for note in notes:
        print(f"note: {note}")
    failed = [r for r in rows if r.verdict == FAILED]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
