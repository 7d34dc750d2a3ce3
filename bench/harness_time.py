"""5. Wall time of the template harness: fast tier (and, on request, slow tier).

Runs the harness's pytest at the template root with the harness venv
(``.tools/venv``, else this interpreter) and reads the "harness timing" section that
tests/conftest.py prints: ``wall time: …`` and one line per tier.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from projects import TEMPLATE
from report import FAILED, Row, verdict

GOALS = {"fast": 60.0, "slow": 8 * 60.0}
MARKERS = {"fast": "not slow", "slow": "slow"}
_WALL = re.compile(r"^wall time: ([\d.]+) s", re.MULTILINE)
_TIER = re.compile(r"^(fast|slow) tier: (.*)$", re.MULTILINE)
_OUTCOME = re.compile(r"^=*\s*(\d+ (?:passed|failed).*?) in [\d.]+s", re.MULTILINE)


def harness_python() -> str:
    venv = TEMPLATE / ".tools" / "venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def run_tier(tier: str) -> Row:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    command = [harness_python(), "-m", "pytest", "-m", MARKERS[tier], "-n", "auto", "-q"]
    command += ["-p", "no:cacheprovider", "--color=no"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=TEMPLATE, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    output = done.stdout + done.stderr
    wall = _WALL.search(output)
    tiers = dict(_TIER.findall(output))
    outcome = _OUTCOME.search(output)
    label = f"harness {tier} tier, pytest -m '{MARKERS[tier]}' -n auto ({os.cpu_count()} cores)"
    if wall is None:
        tail = " ".join(output.strip().splitlines()[-3:])[-200:]
        return Row("5", label, f"exit {done.returncode} after {elapsed:.0f} s: {tail}", "", FAILED)
    seconds = float(wall.group(1))
    detail = tiers.get(tier, "no per-variant summary printed")
    result = f"{seconds:.1f} s wall ({outcome.group(1) if outcome else '?'}); {detail}"
    if done.returncode != 0:  # the time of a failing run is shown, but it is not a result
        return Row("5", label, f"harness FAILED (exit {done.returncode}): {result}", "", FAILED)
    return Row("5", label, result, f"< {GOALS[tier]:g} s", verdict(seconds < GOALS[tier]))


def run(tiers: list[str]) -> list[Row]:
    if not (TEMPLATE / "tests").is_dir():
        return [Row("5", "harness wall time", "no tests/ in the template", "", FAILED)]
    return [run_tier(tier) for tier in tiers]
