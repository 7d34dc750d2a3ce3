"""The template's README says what the harness and the template do."""

from __future__ import annotations

import re
import shlex

from tests.variants import COOKIECUTTER_JSON, PRE_GEN, ROOT, resolve_answers

README = (ROOT / "README.md").read_text("utf-8")


def test_ci_runs_the_test_command_the_readme_gives() -> None:
    ci_run = (ROOT / ".ci" / "run").read_text("utf-8").strip().splitlines()
    harness = ci_run[-1].strip()
    assert harness == ".tools/venv/bin/python -m pytest -n auto"
    assert f"\n{harness}" in README or f"\n{harness} " in README
    assert "\nbash .ci/setup" in README and "bash .ci/setup" in "\n".join(ci_run)


def test_user_path_comes_before_the_contributor_path() -> None:
    assert README.index("uvx cookiecutter gh:") < README.index("bash .ci/setup")
    for command in (
        "pipx run cookiecutter",
        "pip install cookiecutter",
        "--checkout",
        "copier copy",
    ):
        assert command in README, command


def test_every_option_is_in_the_table() -> None:
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", README, re.M))
    assert rows == {k for k in COOKIECUTTER_JSON if not k.startswith("_")}


def test_the_refusal_shown_is_the_one_printed() -> None:
    block = re.search(
        r"```console\n\$ (uvx cookiecutter --no-input [^\n]+)\n(.*?)```", README, re.S
    )
    assert block, "README shows no refused render"
    overrides = dict(a.split("=", 1) for a in shlex.split(block.group(1)) if "=" in a)
    shown = block.group(2).strip().splitlines()
    assert shown == PRE_GEN.problem_lines(resolve_answers(overrides))


def test_the_example_render_prints_what_the_readme_shows(tmp_path) -> None:
    """The README's key=value example, run from this checkout instead of GitHub."""
    import subprocess

    from tests.rendering import STATE_DIR, clean_env, tool

    block = re.search(r"```sh\n(uvx cookiecutter --no-input --checkout .*?)```", README, re.S)
    shown = re.search(r"```console\n(Created .*?)```", README, re.S)
    assert block and shown
    argv = shlex.split(block.group(1).replace("\\\n", " "))
    assert argv[:2] == ["uvx", "cookiecutter"]
    checkout = argv.index("--checkout")
    del argv[checkout : checkout + 2]  # this checkout is the release under test
    argv = [str(ROOT) if a.startswith("gh:") else a for a in argv[2:]]
    done = subprocess.run(
        [*tool("cookiecutter"), *argv],
        cwd=tmp_path,
        env=clean_env(HOME=str(tmp_path / STATE_DIR), PWD=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-3:] == shown.group(1).strip().splitlines()
