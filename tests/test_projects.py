"""Slow tier: each generated project's own test suite passes.

One interpreter (the harness's, whose environment holds the union of every
variant's dependencies) runs each project's pytest with the project as cwd.
A suite spends most of its time waiting (servers, worker processes, timeouts), so the
worker that runs the slow tier (conftest keeps it on one) renders and runs every selected
suite through one pool, SUITES_AT_ONCE at a time; each test waits for its own suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.rendering import clean_env, render
from tests.variants import ROOT, SLOW, SUITES_AT_ONCE, Variant

PROJECT_PYTHON = os.environ.get("HARNESS_PROJECT_PYTHON", sys.executable)
# The Azurite that .ci/setup installs, unless the caller points elsewhere.
AZURITE_BIN = os.environ.get(
    "AZURITE_BIN", str(ROOT / ".tools" / "node" / "node_modules" / ".bin" / "azurite-blob")
)
SUITE_TIMEOUT = 900
NO_TESTS_COLLECTED = 5


@dataclass
class SuiteResult:
    project: Path
    returncode: int
    output: str
    seconds: float


def _run_suite(project: Path, workdir: Path) -> tuple[int, str]:
    command = [PROJECT_PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--color=no"]
    command.append(f"--basetemp={workdir / 'basetemp'}")
    try:
        done = subprocess.run(
            command,
            cwd=project,
            env=clean_env(AZURITE_BIN=AZURITE_BIN),
            capture_output=True,
            text=True,
            timeout=SUITE_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"").decode(errors="replace")
        return -1, f"{output}\nstill running after {SUITE_TIMEOUT} s: stopped"
    return done.returncode, done.stdout + done.stderr


class SuiteRunner:
    """Renders and runs the selected suites, SUITES_AT_ONCE at a time, in manifest order."""

    def __init__(self, base: Path, selected: list[Variant]) -> None:
        self.base = base
        self._pool = ThreadPoolExecutor(max_workers=SUITES_AT_ONCE, thread_name_prefix="suite")
        self._suites: dict[str, Future[SuiteResult]] = {
            variant.id: self._pool.submit(self._run, variant) for variant in selected
        }

    def result(self, variant: Variant) -> SuiteResult:
        return self._suites[variant.id].result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def _run(self, variant: Variant) -> SuiteResult:
        started = time.perf_counter()
        workdir = self.base / variant.id
        project = render(variant.overrides, workdir / "out")
        returncode, output = _run_suite(project, workdir)
        return SuiteResult(project, returncode, output, time.perf_counter() - started)


@pytest.fixture(scope="session")
def suite_runner(request, tmp_path_factory) -> Iterator[SuiteRunner]:
    selected = [
        item.callspec.params["variant"]
        for item in request.session.items
        if item.get_closest_marker("slow") and hasattr(item, "callspec")
    ]
    runner = SuiteRunner(tmp_path_factory.mktemp("slow"), selected)
    yield runner
    runner.close()


@pytest.mark.slow
@pytest.mark.parametrize("variant", [pytest.param(v, id=v.id) for v in SLOW])
def test_generated_suite_passes(variant, suite_runner: SuiteRunner, record_property) -> None:
    result = suite_runner.result(variant)
    record_property("tier", "slow")
    record_property("variant", variant.id)
    record_property("variant_seconds", round(result.seconds, 3))
    if result.returncode == NO_TESTS_COLLECTED:
        pytest.fail(f"{variant.id}: the generated project collected no tests", pytrace=False)
    if result.returncode != 0:
        tail = "\n".join(result.output.strip().splitlines()[-80:])
        pytest.fail(
            f"{variant.id}: generated tests failed (exit {result.returncode}) "
            f"in {result.project}\n{tail}",
            pytrace=False,
        )
