"""6 and 7: whole calls in real job processes (``call_worker.py``), ended by a hang-up.

6. Hang-up → durable: the caller leaves (RoomIO closes the session, nothing calls
   ``ctx.shutdown()``); the time until the transcript and the recording can be read back
   from storage (polled from this process through the project's own store), and whether
   the job process has exited. Per backend, agent_audio recording.
7. CPU seconds per call-minute in the job process (``time.process_time``: every thread),
   from the session start to the hang-up, the generated agent against the plain
   quickstart with the same scripted models, all variants at once in each round. The
   save's own CPU is shown apart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from projects import load
from report import FAILED, Row, verdict
from stats import median, ms

HERE = Path(__file__).resolve().parent
DURABLE_GOAL = 2.0  # seconds from the hang-up
CPU_GOAL = 1.10  # generated / quickstart, egress and none
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Call:
    project: Path
    mode: str  # quickstart | recorder | archive
    seconds: float
    env: dict[str, str]


def process_ended(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def readable(store: Any, key: str) -> bool:
    try:
        store.read_bytes(key)
    except Exception:
        return False
    return True


def wait_until(condition: Any, what: str, worker: subprocess.Popen, log: Path, timeout: float):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited waiting for {what}: {log.read_text()[-600:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}: {log.read_text()[-600:]}")
        time.sleep(0.005)
    return value


def report_of(control: Path, field: str) -> Any:
    try:
        report = json.loads((control / "report.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return report if field in report else None


def run_call(call: Call, workdir: Path, store: Any = None) -> dict[str, Any]:
    """One worker, one call; with ``store``, also when its files became readable."""
    control = workdir / "control"
    control.mkdir(parents=True)
    log = workdir / "worker.log"
    env = (
        os.environ
        | call.env
        | {
            "BENCH_PROJECT": str(call.project),
            "BENCH_CONTROL": str(control),
            "BENCH_MODE": call.mode,
            "BENCH_SECONDS": str(call.seconds),
            "SPOOL_DIR": str(workdir / "spool"),
        }
    )
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, str(HERE / "call_worker.py")],
            env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        timeout = START_TIMEOUT + call.seconds
        report = wait_until(lambda: report_of(control, "hung_up_at"), "the hang-up", worker, log,
                            timeout)  # fmt: skip
        result: dict[str, Any] = dict(report)
        if store is not None:
            pending = dict(report["keys"])
            while pending:
                key = wait_until(
                    lambda: next((k for k, v in pending.items() if readable(store, v)), None),
                    f"{sorted(pending)} in storage", worker, log, 30,
                )  # fmt: skip
                result[f"{key}_durable"] = time.time() - report["hung_up_at"]
                del pending[key]
            wait_until(lambda: process_ended(report["pid"]), "the job to end", worker, log, 30)
            result["job_ended"] = time.time() - report["hung_up_at"]
        if call.mode == "archive":
            result |= wait_until(lambda: report_of(control, "saved_cpu"), "the save", worker, log,
                                 30)  # fmt: skip
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        return result
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def hangup_rows(
    projects: dict[str, Path], envs: dict[str, dict[str, str] | Exception], repeats: int,
    workdir: Path,
) -> list[Row]:  # fmt: skip
    rows = []
    for backend, project in projects.items():
        label = f"hang-up → durable transcript + recording, {backend} (agent_audio)"
        env = envs.get(backend)
        if not isinstance(env, dict):
            rows.append(Row("6", label, f"no storage: {env}"[:160], "", FAILED))
            continue
        try:
            mods = load(project, "settings", "storage")
            store = mods.storage.open_store(mods.settings.Settings.from_env(env).storage)
            runs = [
                run_call(Call(project, "archive", 6.0, env), workdir / f"{backend}-{n}", store)
                for n in range(repeats)
            ]
        except Exception as error:
            rows.append(Row("6", label, f"{type(error).__name__}: {error}"[:160], "", FAILED))
            continue
        transcript = median([r["transcript_durable"] for r in runs])
        recording = median([r["recording_durable"] for r in runs])
        ended = median([r["job_ended"] for r in runs])
        slowest = max(max(r["transcript_durable"], r["recording_durable"]) for r in runs)
        rows.append(Row(
            "6", f"{label}, median of {repeats}",
            f"transcript {ms(transcript)}, recording {ms(recording)}; job process gone "
            f"{ms(ended)} after the hang-up",
            f"< {DURABLE_GOAL:g} s (was: when LiveKit closes the room)",
            verdict(slowest < DURABLE_GOAL),
        ))  # fmt: skip
    return rows


def cpu_per_minute(run: dict[str, Any]) -> float:
    minutes = (run["hung_up_at"] - run["started_at"]) / 60
    return (run["hung_up_cpu"] - run["started_cpu"]) / minutes


def cpu_rows(
    projects: dict[str, Path], env: dict[str, str], seconds: float, rounds: int, workdir: Path
) -> list[Row]:
    """``projects``: recording mode (agent_audio, egress_audio, none) -> a local render.

    Each round runs every variant at once (one worker each), so that whatever else the
    machine does hits them alike; ratios are the median of the rounds' ratios.
    """
    variants = {
        "quickstart": Call(projects["none"], "quickstart", seconds, env),
        "recorder": Call(projects["agent_audio"], "recorder", seconds, env),
        **{mode: Call(project, "archive", seconds, env) for mode, project in projects.items()},
    }
    samples: list[dict[str, dict[str, Any]]] = []
    try:
        with ThreadPoolExecutor(len(variants)) as pool:
            for n in range(rounds):
                runs = pool.map(
                    lambda name, n=n: run_call(variants[name], workdir / f"cpu-{n}-{name}"),
                    variants,
                )
                samples.append(dict(zip(variants, runs, strict=True)))
    except Exception as error:
        return [
            Row("7", "CPU per call-minute", f"{type(error).__name__}: {error}"[:160], "", FAILED)
        ]

    def cpu(name: str) -> float:
        return median([cpu_per_minute(round_[name]) for round_ in samples])

    def ratio(name: str, base: str) -> float:
        return median([cpu_per_minute(r[name]) / cpu_per_minute(r[base]) for r in samples])

    def save(name: str) -> str:
        return ms(median([r[name]["saved_cpu"] - r[name]["hung_up_cpu"] for r in samples]))

    label = f"CPU s per call-minute in the job process, {seconds:g} s calls, median of {rounds}"
    recorder_share = cpu("recorder") - cpu("quickstart")
    rows = [
        Row("7", f"{label}: quickstart", f"{cpu('quickstart'):.3f} s"),
        Row(
            "7", f"{label}: quickstart + RecorderIO (livekit's own recording)",
            f"{cpu('recorder'):.3f} s: RecorderIO's share {recorder_share:+.3f} s "
            f"({ratio('recorder', 'quickstart'):.2f}x)",
        ),
    ]  # fmt: skip
    gc_ms = [1000 * r[name]["gc"] for r in samples for name in r]
    rows.append(Row(
        "7", "full garbage collection at the start of a job, every variant above (CPU ms)",
        f"median {median(gc_ms):.1f}, worst {max(gc_ms):.1f}: livekit's forkserver freezes "
        "what it preloads (ipc/_preload_freeze.py)",
    ))  # fmt: skip
    for mode in projects:
        if mode == "agent_audio":
            rows.append(Row(
                "7", f"{label}: generated, agent_audio",
                f"{cpu(mode):.3f} s = {ratio(mode, 'quickstart'):.2f}x quickstart, "
                f"{ratio(mode, 'recorder'):.2f}x quickstart + RecorderIO (ours "
                f"{cpu(mode) - cpu('recorder'):+.3f} s); the save {save(mode)} CPU",
                "reported",
            ))  # fmt: skip
        else:
            rows.append(Row(
                "7", f"{label}: generated, {mode}",
                f"{cpu(mode):.3f} s = {ratio(mode, 'quickstart'):.2f}x quickstart; "
                f"the save {save(mode)} CPU",
                f"≤ {CPU_GOAL:.2f}x", verdict(ratio(mode, "quickstart") <= CPU_GOAL),
            ))  # fmt: skip
    return rows
