"""3. Worker cold start: import + prewarm, generated agent vs the plain quickstart.

Each run is a fresh interpreter. The variants (the quickstart, then the generated agent
per storage backend) run in a rotating order so drift (page cache, CPU frequency, other
load) hits all alike; the first round is a discarded warm-up when asked. The ratio is the
median of per-round ratios (each round runs every variant once, back to back).

``bench/run.py`` runs this as section 3; alone: ``python bench/cold_start.py [--runs N]
[BACKEND ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from emulators import START, Emulator
from projects import package_name, render
from report import Row, table, verdict
from stats import median

HERE = Path(__file__).resolve().parent
RATIO_GOAL = 1.05
WITHOUT = "quickstart"
CONTROL = "quickstart again"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def probe(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """One fresh interpreter: its import and prewarm seconds, and its whole CPU time."""
    cpu = children_cpu()
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-400:]}")
    sample = json.loads(done.stdout.strip().splitlines()[-1])
    return sample | {"cpu": children_cpu() - cpu}


def measure(
    variants: dict[str, tuple[list[str], dict[str, str]]], runs: int, warmup: bool
) -> dict[str, list[dict[str, float]]]:
    names = list(variants)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for index in range(runs + (1 if warmup else 0)):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            sample = probe(*variants[name])
            if index > 0 or not warmup:
                samples[name].append(sample)
    return samples


def run(
    projects: dict[str, Path],
    backend_env: dict[str, dict[str, str]],
    runs: int,
    warmup: bool,
    workdir: Path,
) -> list[Row]:
    """``projects``: backend -> rendered project; ``backend_env``: its storage settings."""
    base = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    quickstart = ([str(HERE / "coldstart_quickstart.py")], base)
    # The control runs the quickstart again: its ratio to WITHOUT is this machine's noise.
    variants = {WITHOUT: quickstart, CONTROL: quickstart}
    for backend, project in projects.items():
        env = base | backend_env.get(backend, {}) | {"SPOOL_DIR": str(workdir / backend)}
        args = [str(HERE / "coldstart_generated.py"), str(project / "src"), package_name(project)]
        variants[backend] = (args, env)
    samples = measure(variants, runs, warmup)

    def total(name: str) -> float:
        return median([s["import"] + s["prewarm"] for s in samples[name]])

    def part(name: str, key: str) -> float:
        return median([s[key] for s in samples[name]])

    def paired_ratio(name: str) -> float:
        """Median over rounds of with / without in the same round: drift between rounds
        (CPU frequency, page cache, other load) cancels out."""
        return median(
            [
                (w["import"] + w["prewarm"]) / (q["import"] + q["prewarm"])
                for w, q in zip(samples[name], samples[WITHOUT], strict=True)
            ]
        )

    rows = [
        Row(
            "3",
            f"cold start control: the quickstart against itself, median of {runs}",
            f"ratio {paired_ratio(CONTROL):.3f} (ratio of medians "
            f"{total(CONTROL) / total(WITHOUT):.3f}): the resolution of the rows below",
        )
    ]
    for backend in projects:
        ratio = paired_ratio(backend)
        medians_ratio = total(backend) / total(WITHOUT)
        cpu_ratio = part(backend, "cpu") / part(WITHOUT, "cpu")
        package = part(backend, "package")
        share = package / total(WITHOUT)
        detail = f"package import {package * 1000:.0f} ms (+{share:.1%}); " + "; ".join(
            f"{label} {total(name):.2f} s (import {part(name, 'import'):.2f} + prewarm "
            f"{part(name, 'prewarm'):.2f})"
            for label, name in (("with", backend), ("without", WITHOUT))
        )
        if not all(s["store_loaded"] for s in samples[backend]):
            raise RuntimeError(f"{backend}: prewarm's thread did not open the store")
        detail += (
            f"; background warm-up after prewarm: {part(backend, 'background') * 1000:.0f} ms, "
            "off the critical path"
        )
        rows.append(
            Row(
                "3",
                f"cold start import+prewarm, {backend} backend vs quickstart, median of {runs}",
                f"ratio {ratio:.3f} (ratio of medians {medians_ratio:.3f}, CPU time "
                f"{cpu_ratio:.3f}): {detail}",
                f"≤ {RATIO_GOAL}",
                verdict(ratio <= RATIO_GOAL),
            )
        )
    return rows


def storage_env(workdir: Path, emulators: dict[str, Emulator | Exception]) -> dict[str, dict]:
    """Settings for each backend's prewarm: the local directory, or the running emulator."""
    env = {"local": {"LOCAL_STORAGE_DIR": str(workdir / "store")}}
    for name, emulator in emulators.items():
        if isinstance(emulator, Emulator):
            env[name] = emulator.env
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description="Section 3 alone: worker cold start.")
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("backends", nargs="*", default=["local", *START])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="lk-cold-"))
    emulators: dict[str, Emulator | Exception] = {}
    try:
        for name in args.backends:
            if name != "local":
                emulators[name] = START[name]()
        projects = {b: render(work / b, storage_backend=b) for b in args.backends}
        env = storage_env(work / "cold", emulators)
        rows = run(projects, env, args.runs, True, work / "cold")
    finally:
        for emulator in emulators.values():
            if isinstance(emulator, Emulator):
                emulator.stop()
        shutil.rmtree(work, ignore_errors=True)
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"cold start, {os.cpu_count()} cores, load average {load}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
