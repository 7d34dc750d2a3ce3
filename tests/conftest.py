"""Harness plumbing: slow-tier groups, CI strictness, the render farm and the timing summary."""

from __future__ import annotations

import os
import statistics
import time

import pytest

from tests.farm import RenderFarm
from tests.variants import SLOW, slow_groups

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
    # `-n auto` means `--dist load`; keep each xdist_group (a render shard) on one worker.
    if getattr(config.option, "dist", "no") == "load":
        config.option.dist = "loadgroup"


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
def render_farm(tmp_path_factory: pytest.TempPathFactory) -> RenderFarm:
    return RenderFarm(tmp_path_factory.mktemp("fast"))


# (properties, report) of each timed test, as the controller sees them.
_REPORTS: list[tuple[dict, pytest.TestReport]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        properties = dict(report.user_properties)
        if "tier" in properties:
            _REPORTS.append((properties, report))


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
