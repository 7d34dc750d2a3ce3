"""Slow tier: each generated project's own test suite passes.

One interpreter (the harness's, whose environment holds the union of every
variant's dependencies) runs each project's pytest with the project as cwd.
A suite spends most of its time waiting (servers, worker processes, timeouts), so the
worker that runs the slow tier (conftest keeps it on one) renders and runs every selected
suite through one pool (conftest's ``suite_pool``), as many at once as the machine's load
allows (tests/suites.py); each test waits for its own suite.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.rendering import clean_env, render
from tests.suites import (
    AZURITE_BIN,
    FAILED_SUITES,
    NO_TESTS_COLLECTED,
    SuitePool,
    SuiteRun,
    run_suite,
)
from tests.variants import ROOT, SLOW, Variant

PROJECT_PYTHON = os.environ.get("HARNESS_PROJECT_PYTHON", sys.executable)


def suite_job(params: dict, base: Path) -> tuple[str, Callable[[], SuiteRun]]:
    """conftest's hook: this test's suite, as a job for the shared pool."""
    variant: Variant = params["variant"]

    def job() -> SuiteRun:
        workdir = base / variant.id
        project = render(variant.overrides, workdir / "out")
        # each suite keeps its artefacts (the review page's screenshot) after the run
        artefacts = ROOT / "test-artifacts" / variant.id
        env = clean_env(AZURITE_BIN=AZURITE_BIN, TEST_ARTIFACTS=str(artefacts))
        return run_suite(
            project, workdir, PROJECT_PYTHON, env, keep_failed_in=FAILED_SUITES, name=variant.id
        )

    return variant.id, job


@pytest.mark.slow
@pytest.mark.parametrize("variant", [pytest.param(v, id=v.id) for v in SLOW])
def test_generated_suite_passes(variant, suite_pool: SuitePool, record_property) -> None:
    result = suite_pool.result(variant.id)
    record_property("tier", "slow")
    record_property("variant", variant.id)
    record_property("variant_seconds", round(result.seconds, 3))
    if result.returncode == NO_TESTS_COLLECTED:
        pytest.fail(f"{variant.id}: the generated project collected no tests", pytrace=False)
    if result.returncode != 0:
        record_property("rerun", result.rerun or "")
        pytest.fail(
            f"{variant.id}: generated tests failed (exit {result.returncode})\n{result.report()}",
            pytrace=False,
        )
