"""The template repository's own Python (hooks, extension, harness, bench) passes ruff."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.variants import ROOT


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_template_repository_passes_ruff(command) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
