"""Slow tier: what the generated README and pyproject.toml claim, tested as a user meets it.

- Every Python the template supports (``SUPPORTED_PYTHONS``, the range the generated
  README and ``requires-python`` state) runs the default variant's suite, in a fresh venv
  holding only the project and its dev extra, where the interpreter is on this machine
  (pyenv's, or ``python3.X`` on PATH; under CI=true a missing one fails).
- Each storage backend's project is built as a wheel once, installed into a fresh venv
  (no source tree, no test dependencies), and its ``python -m <package> --help`` and
  ``check`` run from there; ``check`` writes to the backend's local emulator, started
  with the generated project's own test helper.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.rendering import clean_env, render, tool
from tests.suites import AZURITE_BIN, FAILED_SUITES, run_suite
from tests.variants import ROOT, SLOW, SUPPORTED_PYTHONS

DEFAULT = SLOW[0]
BACKENDS = {}
for _variant in SLOW:
    BACKENDS.setdefault(_variant.answers["storage_backend"], _variant)


def find_python(version: str) -> str | None:
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(glob.glob(str(pyenv_root / "versions" / f"{version}.*" / "bin" / "python")))
    if found:
        return found[-1]
    if shutil.which(f"python{version}"):
        return shutil.which(f"python{version}")
    # one that .ci/setup installed with `uv python install`
    done = _run([*tool("uv"), "python", "find", version], Path.cwd())
    return done.stdout.strip() or None if done.returncode == 0 else None


def _run(args: list[str], cwd: Path, env: dict | None = None, timeout: float = 600):
    return subprocess.run(
        args, cwd=cwd, env=env or clean_env(), capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


def _venv(python: str, where: Path, *requirements: str) -> Path:
    done = _run([*tool("uv"), "venv", "--quiet", "--python", python, str(where)], where.parent)
    assert done.returncode == 0, done.stderr
    venv_python = where / "bin" / "python"
    done = _run(
        [*tool("uv"), "pip", "install", "--quiet", "--python", str(venv_python), *requirements],
        where.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return venv_python


def test_supported_range_is_what_the_generated_project_states(tmp_path) -> None:
    project = render({}, tmp_path / "out")
    pyproject = (project / "pyproject.toml").read_text("utf-8")
    assert f'requires-python = ">={SUPPORTED_PYTHONS[0]}"' in pyproject
    readme = (project / "README.md").read_text("utf-8")
    assert f"{SUPPORTED_PYTHONS[0]} to {SUPPORTED_PYTHONS[-1]} (each is tested" in readme
    offered = json.loads((ROOT / "cookiecutter.json").read_text("utf-8"))["python_version"]
    assert set(offered) <= set(SUPPORTED_PYTHONS)
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    assert workflow["jobs"]["test"]["strategy"]["matrix"]["python"] == list(SUPPORTED_PYTHONS)
    template_ci = yaml.safe_load((ROOT / ".github" / "workflows" / "template-ci.yml").read_text())
    (setup,) = [
        s for s in template_ci["jobs"]["slow"]["steps"] if "setup-python" in s.get("uses", "")
    ]
    listed = setup["with"]["python-version"].split()
    assert set(SUPPORTED_PYTHONS) <= {*listed, template_ci["env"]["PYTHON_VERSION"]}


def suite_job(params: dict, base: Path):
    """conftest's hook: the default suite on one Python, as a job for the shared pool."""
    if "version" not in params:
        return None  # the wheel tests run no suite
    variant, version = params["variant"], params["version"]
    name = f"{variant.id}-on-{version}"

    def job():
        python = find_python(version)
        if python is None:
            return None
        workdir = base / name
        project = render(variant.overrides, workdir / "out")
        venv_python = _venv(python, workdir / "venv", "-e", f"{project}[dev]")
        env = clean_env(AZURITE_BIN=AZURITE_BIN)
        return run_suite(
            project, workdir / "suite", str(venv_python), env, keep_failed_in=FAILED_SUITES,
            name=name,
        )  # fmt: skip

    return name, job


@pytest.mark.slow
@pytest.mark.parametrize("variant", [DEFAULT], ids=[DEFAULT.id])
@pytest.mark.parametrize("version", SUPPORTED_PYTHONS)
def test_default_suite_passes_on_each_supported_python(
    version, variant, suite_pool, record_property
) -> None:
    result = suite_pool.result(f"{variant.id}-on-{version}")
    if result is None:
        pytest.skip(f"Python {version} is not on this machine (pyenv, python{version} or uv)")
    if result.returncode != 0:
        record_property("rerun", result.rerun or "")
        pytest.fail(f"Python {version}: {result.report()}", pytrace=False)


_SERVE = """
import json, sys
from pathlib import Path
from {backend}_server import BackendServer
server = BackendServer(Path(sys.argv[1]))
server.start()
server.make_bucket("wheel-check")
print(json.dumps(server.env("wheel-check")), flush=True)
sys.stdin.read()
server.stop()
"""


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(BACKENDS.values()), ids=list(BACKENDS))
def test_built_wheel_installs_and_runs(variant, tmp_path) -> None:
    project = render(variant.overrides, tmp_path / "out")
    package = variant.answers["package_name"]
    backend = variant.answers["storage_backend"]
    built = _run([*tool("uv"), "build", "--wheel", "--out-dir", str(tmp_path / "dist")], project)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    venv_python = _venv(sys.executable, tmp_path / "venv", str(wheel))
    elsewhere = tmp_path / "run"  # not the source tree: only the installed wheel is importable
    elsewhere.mkdir()
    helped = _run([str(venv_python), "-m", package, "--help"], elsewhere)
    assert helped.returncode == 0 and "Usage" in helped.stdout, helped.stdout + helped.stderr

    # The backend's emulator, started by the generated project's own test helper.
    (tmp_path / "server").mkdir()
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVE.format(backend=backend), str(tmp_path / "server")],
        cwd=project,
        env=clean_env(PYTHONPATH=f"{project / 'src'}{os.pathsep}{project / 'tests'}",
                      AZURITE_BIN=AZURITE_BIN),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = server.stdout.readline()
        assert line, server.stderr.read()
        storage_env = json.loads(line)
        env = {k: v for k, v in clean_env().items() if not k.startswith(("AWS_", "AZURE_", "GCS_"))}
        env.update(storage_env, SPOOL_DIR=str(elsewhere / "spool"))
        checked = _run([str(venv_python), "-m", package, "check"], elsewhere, env=env)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "storage is ready" in checked.stdout
    finally:
        server.stdin.close()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
