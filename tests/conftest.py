"""Harness plumbing: slow-tier groups, CI strictness, the render farm and the timing summary."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator

import pytest

from tests.farm import RenderFarm, shard_of
from tests.suites import SuitePool
from tests.variants import FAST, SLOW, SUPPORTED_PYTHONS, slow_groups

_SLOW_GROUP = {v.id: v.group for v in SLOW}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--variant-group",
        choices=slow_groups(),
        default=None,
        help="run only this group of the slow tier (see python -m tests.variants --groups)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config._harness_started = time.perf_counter()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    group = config.getoption("--variant-group")
    if group is None:
        return
    keep, drop = [], []
    for item in items:
        variant = getattr(item, "callspec", None) and item.callspec.params.get("variant")
        in_other_group = (
            item.get_closest_marker("slow") is not None
            and variant is not None
            and _SLOW_GROUP.get(variant.id) != group
        )
        (drop if in_other_group else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def work_units() -> dict[str, str]:
    """Test name -> the unit of work it shares with others (one worker runs a unit)."""
    units = {
        f"{test}[{v.id}]": shard_of(v)
        for test in ("test_variant_renders_clean", "test_no_rendered_file_holds_a_secret")
        for v in FAST
    }
    # the slow tier is one unit: its worker keeps several suites running (tests/suites.py)
    units |= {f"test_generated_suite_passes[{v.id}]": "slow-tier" for v in SLOW}
    # the same worker runs the default suite on each Python, through the same load pacer
    units |= {
        f"test_default_suite_passes_on_each_supported_python[{v}-{SLOW[0].id}]": "slow-tier"
        for v in SUPPORTED_PYTHONS
    }
    return units


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`-n auto`: like --dist loadgroup, keeping a render shard or the slow tier on one worker.

    xdist's own loadgroup marks nodeids in a way pytest 9 ignores, so the grouping is
    done here, from the test's name, with xdist's scope scheduler.
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    units = work_units()

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return units.get(nodeid.rsplit("::", 1)[-1], nodeid)

    return WorkUnitScheduling(config, log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    # Under CI nothing may quietly skip: a missing tool or server is a failure there.
    if (
        report.skipped
        and os.environ.get("CI", "").lower() == "true"
        and not hasattr(report, "wasxfail")
    ):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which must not happen: {report.longrepr}"
    return report


@pytest.fixture(scope="session")
def suite_pool(request, tmp_path_factory) -> Iterator[SuitePool]:
    """Every selected slow test's suite, started at once (as the load allows) in test order.

    A test module that runs suites defines ``suite_job(params, base) -> (name, job) | None``.
    """
    base = tmp_path_factory.mktemp("slow")
    jobs = {}
    for item in request.session.items:
        make = getattr(item.module, "suite_job", None)
        if item.get_closest_marker("slow") and make and hasattr(item, "callspec"):
            named_job = make(item.callspec.params, base)
            if named_job is not None:
                jobs[named_job[0]] = named_job[1]
    pool = SuitePool(jobs)
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def render_farm(tmp_path_factory: pytest.TempPathFactory) -> RenderFarm:
    return RenderFarm(tmp_path_factory.mktemp("fast"))


# (properties, report) of each timed test, as the controller sees them.
_REPORTS: list[tuple[dict, pytest.TestReport]] = []


# (test id, rerun command) of each generated suite that failed, for the closing summary.
_RERUNS: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        properties = dict(report.user_properties)
        if "tier" in properties:
            _REPORTS.append((properties, report))
        if report.failed and properties.get("rerun"):
            _RERUNS.append((report.nodeid, properties["rerun"]))


def _tier_line(tier: str, unit: str) -> str | None:
    rows = [(p, r) for p, r in _REPORTS if p["tier"] == tier]
    if not rows:
        return None
    seconds = [float(p["variant_seconds"]) for p, _ in rows]
    starts = [getattr(r, "start", None) for _, r in rows]
    stops = [getattr(r, "stop", None) for _, r in rows]
    span = ""
    if None not in starts and None not in stops:
        span = f", {max(stops) - min(starts):.1f} s from first start to last stop"
    slowest = max(rows, key=lambda row: float(row[0]["variant_seconds"]))
    return (
        f"{tier} tier: {len(rows)} {unit}, "
        f"{sum(seconds):.1f} s in all (summed over workers){span}; "
        f"median {statistics.median(seconds):.2f} s per variant, "
        f"slowest {max(seconds):.2f} s ({slowest[0]['variant']})"
    )


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    wall = time.perf_counter() - config._harness_started
    lines = [_tier_line("fast", "variants"), _tier_line("slow", "project test suites")]
    terminalreporter.section("harness timing")
    terminalreporter.write_line(f"wall time: {wall:.1f} s")
    for line in lines:
        if line:
            terminalreporter.write_line(line)
    if _RERUNS:
        terminalreporter.section("failed generated suites: projects kept, rerun with")
        for nodeid, rerun in _RERUNS:
            terminalreporter.write_line(f"{nodeid}\n  {rerun}")
