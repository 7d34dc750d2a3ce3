"""Slow tier: each generated project's own test suite passes.

One interpreter (the harness's, whose environment holds the union of every
variant's dependencies) runs each project's pytest with the project as cwd.
A suite spends most of its time waiting (servers, worker processes, timeouts), so the
worker that runs the slow tier (conftest keeps it on one) renders and runs every selected
suite through one pool, as many at once as the machine's load allows (tests/suites.py);
each test waits for its own suite.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.rendering import clean_env, render
from tests.suites import NO_TESTS_COLLECTED, SuiteRun, run_suite, shared_pacer
from tests.variants import ROOT, SLOW, Variant

PROJECT_PYTHON = os.environ.get("HARNESS_PROJECT_PYTHON", sys.executable)
# The Azurite that .ci/setup installs, unless the caller points elsewhere.
AZURITE_BIN = os.environ.get(
    "AZURITE_BIN", str(ROOT / ".tools" / "node" / "node_modules" / ".bin" / "azurite-blob")
)
# A failed suite's project is copied here, where a rerun command can point.
FAILED_SUITES = ROOT / "build" / "failed-suites"


class SuiteRunner:
    """Renders and runs the selected suites in manifest order, as the load allows."""

    def __init__(self, base: Path, selected: list[Variant]) -> None:
        self.base = base
        self._pacer = shared_pacer()
        self._pool = ThreadPoolExecutor(
            max_workers=self._pacer.max_at_once, thread_name_prefix="suite"
        )
        self._suites: dict[str, Future[SuiteRun]] = {
            variant.id: self._pool.submit(self._run, variant) for variant in selected
        }

    def result(self, variant: Variant) -> SuiteRun:
        return self._suites[variant.id].result()

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)

    def _run(self, variant: Variant) -> SuiteRun:
        with self._pacer:
            workdir = self.base / variant.id
            project = render(variant.overrides, workdir / "out")
            return run_suite(
                project,
                workdir,
                PROJECT_PYTHON,
                clean_env(AZURITE_BIN=AZURITE_BIN),
                keep_failed_in=FAILED_SUITES,
                name=variant.id,
            )


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
        pytest.fail(
            f"{variant.id}: generated tests failed (exit {result.returncode})\n{result.report()}",
            pytrace=False,
        )
