"""Run a generated project's own test suite, paced to the machine's load, and report it.

A busy laptop (load at twice its cores) must not turn a passing suite red:

- **How many at once**: ``Pacer`` starts another suite only while the 1-minute load
  average is below ``LOAD_PER_CORE`` per core (the harness's own suites included), and
  always lets one run. ``HARNESS_SUITES_AT_ONCE`` caps it (default 6).
- **How long**: the time limit counts seconds in proportion to the CPU share a suite could
  get: a second at load 4 on 2 cores counts as half a second. A hard cap of
  ``HARD_CAP_FACTOR`` times the limit in wall time still stops a hung suite.

A failing or stopped suite is reported with the failed test ids and their tracebacks
(from pytest's JUnit XML; a stopped suite is interrupted with SIGINT first, so pytest
prints where it was), and its project is kept under ``build/failed-suites/<variant>``
with a one-line command that reruns just the failures.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

SUITE_LIMIT = float(os.environ.get("HARNESS_SUITE_LIMIT", "900"))
HARD_CAP_FACTOR = 3
# Another suite starts while the load is below this per core (a suite mostly waits on
# servers, subprocesses and timeouts: six of them kept 2 cores at about 1.6).
LOAD_PER_CORE = 2.5
MAX_AT_ONCE = int(os.environ.get("HARNESS_SUITES_AT_ONCE", "6"))
ROOT = Path(__file__).resolve().parent.parent
# The Azurite that .ci/setup installs, unless the caller points elsewhere.
AZURITE_BIN = os.environ.get(
    "AZURITE_BIN", str(ROOT / ".tools" / "node" / "node_modules" / ".bin" / "azurite-blob")
)
# A failed suite's project is copied here, where a rerun command can point.
FAILED_SUITES = ROOT / "build" / "failed-suites"
NO_TESTS_COLLECTED = 5


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows
        return 0.0


class Pacer:
    """Starts suites while the load leaves room, one at a time; one may always run.

    The 1-minute load average trails what was just started, so starts are at least
    ``spacing`` seconds apart: each new suite's load shows before the next one starts.
    """

    def __init__(
        self,
        max_at_once: int = MAX_AT_ONCE,
        load: Callable[[], float] = load_average,
        cpus: int | None = None,
        spacing: float = 20.0,
        poll: float = 2.0,
    ) -> None:
        self.max_at_once = max(1, max_at_once)
        self._load = load
        self._cpus = cpus or cpu_count()
        self._spacing = spacing
        self._poll = poll
        self._running = 0
        self._last_start = -spacing
        self._lock = threading.Condition()

    def may_start(self, now: float) -> bool:
        if self._running == 0:
            return True
        if self._running >= self.max_at_once or now - self._last_start < self._spacing:
            return False
        return self._load() < LOAD_PER_CORE * self._cpus

    def __enter__(self) -> Pacer:
        with self._lock:
            while not self.may_start(time.monotonic()):
                self._lock.wait(self._poll)
            self._running += 1
            self._last_start = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._running -= 1
            self._lock.notify_all()


_SHARED: Pacer | None = None


def shared_pacer() -> Pacer:
    """The one pacer of this process: every generated suite it runs goes through it."""
    global _SHARED
    if _SHARED is None:
        _SHARED = Pacer()
    return _SHARED


class SuitePool:
    """Runs every selected suite job (name -> callable) in threads, paced by the load.

    Jobs start in the order given; each test then waits for its own job's result.
    """

    def __init__(self, jobs: dict[str, Callable[[], SuiteRun]], pacer: Pacer | None = None):
        self._pacer = pacer or shared_pacer()
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(len(jobs), self._pacer.max_at_once)),
            thread_name_prefix="suite",
        )
        self._jobs: dict[str, Future[SuiteRun]] = {
            name: self._pool.submit(self._paced, job) for name, job in jobs.items()
        }

    def _paced(self, job: Callable[[], SuiteRun]) -> SuiteRun:
        with self._pacer:
            return job()

    def result(self, name: str) -> SuiteRun:
        return self._jobs[name].result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def cpu_share(load: float, cpus: int) -> float:
    """The share of a second that counts toward a suite's limit at this load."""
    return 1.0 if load <= cpus else cpus / load


@dataclass
class Failure:
    test_id: str
    text: str


@dataclass
class SuiteRun:
    project: Path
    returncode: int
    output: str
    seconds: float
    stopped: bool = False
    failures: list[Failure] = field(default_factory=list)
    kept: Path | None = None
    rerun: str | None = None

    def report(self, tail_lines: int = 60) -> str:
        lines = []
        if self.stopped:
            running = re.findall(r"^(\S+::\S+)(?: |$)", self.output, re.M)
            where = f"; running: {running[-1]}" if running else ""
            lines.append(
                f"stopped: still running after its time limit ({self.seconds:.0f} s wall){where}"
            )
        if self.failures:
            lines.append(
                f"{len(self.failures)} failed: " + " ".join(f.test_id for f in self.failures)
            )
            for failure in self.failures:
                lines += ["", f"____ {failure.test_id} ____", failure.text.rstrip()]
        else:
            lines += ["", *self.output.strip().splitlines()[-tail_lines:]]
        if self.kept:
            lines += ["", f"project kept in {self.kept}", f"rerun: {self.rerun}"]
        return "\n".join(lines)


def _test_id(project: Path, classname: str, name: str) -> str:
    """pytest's node id from JUnit's dotted classname (module path, then any classes)."""
    parts = classname.split(".")
    for cut in range(len(parts), 0, -1):
        module = "/".join(parts[:cut]) + ".py"
        if (project / module).is_file():
            return "::".join([module, *parts[cut:], name])
    return f"{classname}::{name}"


def _failures(junit: Path, project: Path) -> list[Failure]:
    if not junit.is_file():
        return []
    try:
        root = ET.parse(junit).getroot()
    except ET.ParseError:
        return []
    found = []
    for case in root.iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            continue
        test_id = _test_id(project, case.get("classname", ""), case.get("name", ""))
        found.append(Failure(test_id, problem.text or problem.get("message", "")))
    return found


def run_suite(
    project: Path,
    workdir: Path,
    python: str,
    env: dict[str, str],
    limit: float = SUITE_LIMIT,
    keep_failed_in: Path | None = None,
    name: str | None = None,
    load: Callable[[], float] = load_average,
    hard_cap: float | None = None,
) -> SuiteRun:
    """Run ``python -m pytest`` in ``project`` within a load-scaled time limit.

    ``hard_cap`` (wall seconds, default ``HARD_CAP_FACTOR * limit``) stops it whatever the load.
    """
    hard_cap = HARD_CAP_FACTOR * limit if hard_cap is None else hard_cap
    workdir.mkdir(parents=True, exist_ok=True)
    junit = workdir / "junit.xml"
    log = workdir / "suite.log"
    # -v: each test's id is printed as it starts, so a stopped suite shows which test hung.
    command = [python, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--color=no", "-rfE"]
    command += [f"--basetemp={workdir / 'basetemp'}", f"--junitxml={junit}"]
    cpus = cpu_count()
    started = time.monotonic()
    counted, last, stopped = 0.0, started, False
    with log.open("w", encoding="utf-8", errors="replace") as out:
        process = subprocess.Popen(
            command, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        while process.poll() is None:
            time.sleep(1.0)
            now = time.monotonic()
            counted += (now - last) * cpu_share(load(), cpus)
            last = now
            if counted > limit or now - started > hard_cap:
                stopped = True
                process.send_signal(signal.SIGINT)  # pytest prints where it was, writes XML
                try:
                    process.wait(60)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                break
    result = SuiteRun(
        project,
        -1 if stopped else process.returncode,
        log.read_text("utf-8", errors="replace"),
        time.monotonic() - started,
        stopped=stopped,
        failures=_failures(junit, project),
    )
    if (result.returncode != 0) and keep_failed_in is not None:
        keep(result, keep_failed_in / (name or project.name), python)
    return result


def keep(result: SuiteRun, where: Path, python: str) -> None:
    """Copy the failed project somewhere stable and say how to rerun its failures."""
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(
        result.project, where, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache")
    )
    result.kept = where
    ids = [f.test_id for f in result.failures]
    result.rerun = (
        shlex.join(["cd", str(where)]) + " && " + shlex.join([python, "-m", "pytest", "-x", *ids])
    )
