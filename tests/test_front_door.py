"""What a user meets first: the interactive prompts, the next steps, the answers file,
and a cookiecutter process that renders other templates after this one."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.rendering import STATE_DIR, clean_env, render, tool
from tests.variants import ROOT, choices

QUESTION_COUNT = 12


def _interactive(answers: list[str], output: Path, cwd: Path) -> subprocess.CompletedProcess:
    """The real command without --no-input, its questions answered on stdin."""
    home = cwd / STATE_DIR
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [*tool("cookiecutter"), "-o", str(output), str(ROOT)],
        input="\n".join(answers) + "\n",
        cwd=cwd,
        env=clean_env(HOME=str(home), PWD=str(cwd)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_failed_interactive_run_lists_every_problem_and_keeps_the_answers(tmp_path) -> None:
    # project name, a slug with a space, Enter for the rest, pii (the 2nd choice) at the end
    answers = ["My Bot", "my bot"] + [""] * (QUESTION_COUNT - 3) + ["2"]
    result = _interactive(answers, tmp_path / "out", tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if "error: " in line]
    fields = [line.split("error: ", 1)[1].split()[0] for line in errors]
    # the slug, the two names derived from it, and the pii conflict, all in the first round
    assert fields == ["project_slug", "package_name", "agent_name", "transcript_redaction=pii"]
    command = output.strip().splitlines()[-1].strip()
    argv = shlex.split(command)
    assert argv[0] == "cookiecutter" and str(ROOT) in argv and "--no-input" not in argv
    # what was typed, and not the names derived from the bad slug (they are derived again)
    assert argv[-3:] == ["project_name=My Bot", "project_slug=my bot", "transcript_redaction=pii"]
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_the_kept_answers_render_once_the_bad_one_is_fixed(tmp_path) -> None:
    answers = ["My Bot", "my bot"] + [""] * (QUESTION_COUNT - 2)
    failed = _interactive(answers, tmp_path / "out", tmp_path)
    argv = shlex.split((failed.stdout + failed.stderr).strip().splitlines()[-1])
    fixed = [a.replace("project_slug=my bot", "project_slug=my-bot") for a in argv[1:]]
    result = subprocess.run(
        [*tool("cookiecutter"), "--no-input", *fixed],
        cwd=tmp_path,
        env=clean_env(HOME=str(tmp_path / STATE_DIR)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    recorded = json.loads((tmp_path / "out" / "my-bot" / ".cookiecutter.json").read_text("utf-8"))
    assert (recorded["project_name"], recorded["package_name"]) == ("My Bot", "my_bot")


def test_successful_render_prints_the_next_two_commands(tmp_path) -> None:
    result = _interactive(["Acme's Bot"] + [""] * (QUESTION_COUNT - 1), tmp_path / "out", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-2:] == ["  cd out/acmes-bot && uv sync", "  uv run python -m acmes_bot check"]


@pytest.mark.parametrize("notice", ["", " ", "  \t "])
def test_a_blank_notice_disables_it(notice, tmp_path) -> None:
    project = render({"recording_notice": notice}, tmp_path / "out")
    module = project / "src" / "livekit_recording_agent" / "recording" / "notice.py"
    assert "RECORDING_NOTICE = None" in module.read_text("utf-8")
    assert "without a recording notice" in (project / "README.md").read_text("utf-8")


def test_a_notice_is_said_without_its_surrounding_blanks(tmp_path) -> None:
    project = render({"recording_notice": "  This call is recorded. "}, tmp_path / "out")
    module = project / "src" / "livekit_recording_agent" / "recording" / "notice.py"
    assert 'RECORDING_NOTICE = "This call is recorded."' in module.read_text("utf-8")


def test_answers_file_holds_no_machine_paths_and_the_commit(tmp_path) -> None:
    project = render({}, tmp_path / "out")
    recorded = json.loads((project / ".cookiecutter.json").read_text("utf-8"))
    assert not {"_output_dir", "_repo_dir", "_template"} & set(recorded)
    assert str(tmp_path) not in json.dumps(recorded) and str(ROOT) not in json.dumps(recorded)
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True)
    if head.returncode == 0 and status.stdout == "":
        assert recorded["_commit"] == head.stdout.strip()
    else:  # not a git checkout, or one with changes: no commit rather than a wrong one
        assert "_commit" not in recorded
    assert recorded["storage_backend"] == choices("storage_backend")[0]


def _other_template(base: Path) -> Path:
    """A plain template whose defaults are Jinja, as most templates' are."""
    template = base / "other-template"
    (template / "{{cookiecutter.slug}}").mkdir(parents=True)
    (template / "cookiecutter.json").write_text(
        json.dumps(
            {"name": "Other Thing", "slug": "{{ cookiecutter.name | lower | replace(' ', '-') }}"}
        ),
        "utf-8",
    )
    (template / "{{cookiecutter.slug}}" / "name.txt").write_text("{{ cookiecutter.name }}", "utf-8")
    return template


def test_another_template_renders_normally_in_the_same_process(tmp_path) -> None:
    render({}, tmp_path / "ours")  # installs this template's answer handling
    state = tmp_path / "state"
    project = cookiecutter(
        str(_other_template(tmp_path)),
        no_input=True,
        output_dir=str(tmp_path / "theirs"),
        default_config={"replay_dir": str(state / "r"), "cookiecutters_dir": str(state / "t")},
    )
    assert Path(project).name == "other-thing"
    assert (Path(project) / "name.txt").read_text("utf-8") == "Other Thing"
