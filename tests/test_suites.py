"""The slow tier's suite runner: load-aware pacing, time limits, and failure reports."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import suites
from tests.rendering import clean_env


def test_cpu_share_counts_seconds_by_the_cpu_a_suite_can_get() -> None:
    assert suites.cpu_share(1.0, 2) == 1.0
    assert suites.cpu_share(4.0, 2) == 0.5
    assert suites.cpu_share(10.0, 2) == pytest.approx(0.2)


def _peak(pacer: suites.Pacer, jobs: int) -> int:
    running, peak, lock = [0], [0], threading.Lock()

    def job() -> None:
        with pacer:
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.2)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=job) for _ in range(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return peak[0]


def test_pacer_runs_one_suite_at_a_time_on_a_busy_machine() -> None:
    busy = suites.Pacer(max_at_once=6, load=lambda: 10.0, cpus=2, spacing=0, poll=0.01)
    assert _peak(busy, 4) == 1


def test_pacer_runs_up_to_its_cap_on_an_idle_machine() -> None:
    idle = suites.Pacer(max_at_once=3, load=lambda: 0.0, cpus=2, spacing=0, poll=0.01)
    assert _peak(idle, 6) == 3


def _project(base: Path, test_source: str) -> Path:
    project = base / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_it.py").write_text(test_source, "utf-8")
    return project


def test_a_failed_suite_is_reported_with_ids_tracebacks_and_a_rerun(tmp_path) -> None:
    project = _project(
        tmp_path,
        "def test_ok():\n    pass\n\n\ndef test_broken():\n    assert 1 + 1 == 3, 'arithmetic'\n",
    )
    run = suites.run_suite(
        project, tmp_path / "work", sys.executable, clean_env(), keep_failed_in=tmp_path / "kept"
    )
    assert run.returncode == 1 and not run.stopped
    assert [f.test_id for f in run.failures] == ["tests/test_it.py::test_broken"]
    report = run.report()
    assert "tests/test_it.py::test_broken" in report and "arithmetic" in report
    assert run.kept == tmp_path / "kept" / "project" and (run.kept / "tests").is_dir()
    rerun = subprocess.run(
        run.rerun, shell=True, capture_output=True, text=True, env=clean_env(), check=False
    )
    assert rerun.returncode == 1 and "1 failed" in rerun.stdout and "test_ok" not in rerun.stdout


def test_a_hung_suite_is_stopped_and_says_which_test_hung(tmp_path) -> None:
    started = tmp_path / "started"
    project = _project(
        tmp_path,
        "import pathlib\nimport time\n\n\ndef test_hangs():\n"
        f"    pathlib.Path({str(started)!r}).touch()\n    time.sleep(600)\n",
    )
    # The limit counts only once the test runs (and the hard cap is far): a busy CI machine
    # can take longer than the limit just to start pytest, which is not what is tested.
    run = suites.run_suite(
        project,
        tmp_path / "work",
        sys.executable,
        clean_env(),
        limit=2,
        load=lambda: 0.0 if started.exists() else 1e9,
        hard_cap=45,
    )
    assert run.stopped and run.returncode == -1 and run.seconds < 60
    assert "running: tests/test_it.py::test_hangs" in run.report()
    assert "KeyboardInterrupt" in run.output  # pytest was interrupted, not killed


def test_load_stretches_the_time_limit(tmp_path) -> None:
    project = _project(tmp_path, "import time\n\n\ndef test_slow():\n    time.sleep(3)\n")
    # 3 s of sleep (plus pytest's start) at load 8 on this machine's cores counts as well
    # under the 3 s limit; the hard cap is lifted: how fast pytest starts is not the point
    busy = 8.0 * suites.cpu_count()
    run = suites.run_suite(
        project,
        tmp_path / "work",
        sys.executable,
        clean_env(),
        limit=3,
        load=lambda: busy,
        hard_cap=120,
    )
    assert run.returncode == 0 and not run.stopped


def test_pacer_spaces_starts_so_the_load_can_show() -> None:
    pacer = suites.Pacer(max_at_once=3, load=lambda: 0.0, cpus=2, spacing=0.3, poll=0.01)
    starts, lock = [], threading.Lock()

    def job() -> None:
        with pacer:
            with lock:
                starts.append(time.monotonic())
            time.sleep(1.0)

    threads = [threading.Thread(target=job) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gaps = [b - a for a, b in zip(sorted(starts), sorted(starts)[1:], strict=False)]
    assert len(starts) == 3 and all(gap >= 0.29 for gap in gaps), gaps
