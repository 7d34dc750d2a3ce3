"""Slow tier: each generated project's own test suite passes.

One interpreter (the harness's, whose environment holds the union of every
variant's dependencies) runs each project's pytest with the project as cwd.
A suite spends most of its time waiting (servers, subprocesses), so suites run in
batches of SUITES_AT_ONCE on each xdist worker (conftest keeps a batch on one worker).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.rendering import clean_env, render
from tests.variants import ROOT, SLOW, SLOW_BATCH, SUITES_AT_ONCE, Variant

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
    def __init__(self, base: Path, selected: set[str]) -> None:
        self.base = base
        self.selected = selected
        self._results: dict[str, SuiteResult] = {}

    def result(self, variant: Variant) -> SuiteResult:
        if variant.id not in self._results:
            batch = SLOW_BATCH[variant.id]
            members = [v for v in SLOW if SLOW_BATCH[v.id] == batch and v.id in self.selected]
            self._run_batch(members)
        return self._results[variant.id]

    def _run_batch(self, members: list[Variant]) -> None:
        started = time.perf_counter()
        projects = {}  # rendered one at a time: a render changes the working directory
        for variant in members:
            projects[variant.id] = render(variant.overrides, self.base / variant.id / "out")
        render_seconds = (time.perf_counter() - started) / len(members)

        def run(variant: Variant) -> None:
            began = time.perf_counter()
            returncode, output = _run_suite(projects[variant.id], self.base / variant.id)
            seconds = render_seconds + time.perf_counter() - began
            self._results[variant.id] = SuiteResult(
                projects[variant.id], returncode, output, seconds
            )

        with ThreadPoolExecutor(max_workers=SUITES_AT_ONCE) as pool:
            list(pool.map(run, members))


@pytest.fixture(scope="session")
def suite_runner(request, tmp_path_factory) -> SuiteRunner:
    selected = {
        item.callspec.params["variant"].id
        for item in request.session.items
        if item.get_closest_marker("slow") and hasattr(item, "callspec")
    }
    return SuiteRunner(tmp_path_factory.mktemp("slow"), selected)


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
