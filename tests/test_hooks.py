"""Answer validation: bad answers are refused cleanly, hostile-but-valid ones are taken literally.

Refusals are checked through cookiecutter's Python API and through the real
``cookiecutter`` command: non-zero exit or an exception, nothing on disk, and no
code from the answers run.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from tests.rendering import STATE_DIR, clean_env, render, tool
from tests.variants import (
    COOKIECUTTER_JSON,
    INJECTION,
    INJECTION_MARKER,
    POST_GEN,
    PRE_GEN,
    ROOT,
    choices,
    resolve_answers,
)

DEFAULTS = resolve_answers({})


# (id, overrides, field the one-line message must name)
REFUSED = [
    ("slug-keyword", {"project_slug": "class"}, "project_slug"),
    ("slug-empty", {"project_slug": ""}, "project_slug"),
    ("slug-non-ascii", {"project_slug": "agént"}, "project_slug"),
    ("slug-space", {"project_slug": "my agent"}, "project_slug"),
    ("slug-subfolder", {"project_slug": "a/b"}, "project_slug"),
    ("slug-parent", {"project_slug": "../x"}, "project_slug"),
    ("slug-absolute", {"project_slug": "/tmp/x"}, "project_slug"),
    ("slug-backslash", {"project_slug": "a\\b"}, "project_slug"),
    ("slug-uppercase", {"project_slug": "MyAgent"}, "project_slug"),
    ("slug-injection", {"project_slug": INJECTION}, "project_slug"),
    ("name-empty", {"project_name": "", "project_slug": "my-agent"}, "project_name"),
    ("name-blank", {"project_name": "   "}, "project_name"),
    ("slug-underscore", {"project_slug": "my_agent"}, "project_slug"),
    ("slug-double-hyphen", {"project_slug": "my--agent"}, "project_slug"),
    ("package-leading-digit", {"package_name": "1agent"}, "package_name"),
    ("package-keyword", {"package_name": "import"}, "package_name"),
    ("package-soft-keyword-slug", {"project_slug": "match"}, "project_slug"),
    ("package-empty", {"package_name": ""}, "package_name"),
    ("package-non-ascii", {"package_name": "agënt"}, "package_name"),
    ("package-space", {"package_name": "my agent"}, "package_name"),
    ("package-hyphen", {"package_name": "my-agent"}, "package_name"),
    ("package-subfolder", {"package_name": "a/b"}, "package_name"),
    ("package-parent", {"package_name": "../x"}, "package_name"),
    ("package-stdlib", {"package_name": "json"}, "package_name"),
    ("package-stdlib-asyncio", {"package_name": "asyncio"}, "package_name"),
    ("package-livekit", {"package_name": "livekit"}, "package_name"),
    ("package-injection", {"package_name": INJECTION}, "package_name"),
    ("agent-space", {"agent_name": "my agent"}, "agent_name"),
    ("agent-slash", {"agent_name": "a/b"}, "agent_name"),
    ("agent-quote", {"agent_name": 'x"y'}, "agent_name"),
    ("agent-non-ascii", {"agent_name": "agënt"}, "agent_name"),
    ("agent-empty", {"agent_name": ""}, "agent_name"),
    ("agent-leading-dash", {"agent_name": "-agent"}, "agent_name"),
    ("agent-too-long", {"agent_name": "a" * 64}, "agent_name"),
    ("agent-injection", {"agent_name": INJECTION}, "agent_name"),
    ("notice-two-lines", {"recording_notice": "one\ntwo"}, "recording_notice"),
    ("notice-too-long", {"recording_notice": "x" * 301}, "recording_notice"),
    ("pii-with-agent-audio", {"transcript_redaction": "pii"}, "transcript_redaction"),
    (
        "pii-with-egress-video",
        {"transcript_redaction": "pii", "recording": "egress_video"},
        "transcript_redaction",
    ),
]
# Values outside a choice list: cookiecutter itself refuses them (ValueError) before
# the template's own code runs.
NOT_A_CHOICE = [
    ("storage-ftp", {"storage_backend": "ftp"}, "storage_backend"),
    ("format-docx", {"transcript_format": "docx"}, "transcript_format"),
    ("recording-injection", {"recording": INJECTION}, "recording"),
    ("python-2.7", {"python_version": "2.7"}, "python_version"),
]


def _assert_nothing_written(base: Path, output: Path) -> None:
    assert list(output.iterdir()) == [], "the output folder is not empty"
    assert {p.name for p in base.iterdir()} <= {output.name, STATE_DIR}, "wrote beside the output"
    state = base / STATE_DIR
    if state.exists():
        assert not list(state.rglob(INJECTION_MARKER))


# ---- the rules themselves ---------------------------------------------------------------


def test_defaults_have_no_problems() -> None:
    assert PRE_GEN.problems(dict(DEFAULTS)) == []
    assert PRE_GEN.problem_lines(dict(DEFAULTS)) == []


# Names people give their projects: the derived slug, package and agent names must be valid.
ORDINARY_NAMES = {
    "Acme's Bot": ("acmes-bot", "acmes_bot"),
    "Bot 2.0": ("bot-2-0", "bot_2_0"),
    "Über Agent": ("uber-agent", "uber_agent"),
    "Agent  Smith": ("agent-smith", "agent_smith"),
    "123 Agent": ("123-agent", "_123_agent"),
}


@pytest.mark.parametrize("name", list(ORDINARY_NAMES))
def test_ordinary_project_names_derive_valid_names(name) -> None:
    answers = resolve_answers({"project_name": name})
    assert (answers["project_slug"], answers["package_name"]) == ORDINARY_NAMES[name]
    assert answers["agent_name"] == answers["project_slug"]
    assert PRE_GEN.problems(answers) == []


def test_labels_state_the_rules() -> None:
    prompts = COOKIECUTTER_JSON["__prompts__"]
    assert "single hyphens" in prompts["project_slug"]
    assert "recording=none" in prompts["transcript_redaction"]["__prompt__"]
    assert "recording=none" in prompts["transcript_redaction"]["pii"]
    # At the prompt Enter keeps the default: the label says how to give no notice.
    assert "space" in prompts["recording_notice"]
    assert PRE_GEN.SLUG_RE.fullmatch("123-agent") and not PRE_GEN.SLUG_RE.fullmatch("my_agent")


@pytest.mark.parametrize(("overrides", "field"), [pytest.param(o, f, id=i) for i, o, f in REFUSED])
def test_problems_names_the_field(overrides, field) -> None:
    found = PRE_GEN.problems(resolve_answers(overrides))
    assert found and field in found[0]
    lines = PRE_GEN.problem_lines(resolve_answers(overrides))
    assert all(line.startswith("error: ") and "\n" not in line for line in lines)
    assert field in lines[0]


def test_problems_reports_every_bad_answer() -> None:
    answers = resolve_answers({"project_slug": "a b", "agent_name": "", "storage_backend": "ftp"})
    found = PRE_GEN.field_problems(answers)
    assert [field for field, _ in found] == [
        "project_slug",
        "package_name",
        "agent_name",
        "storage_backend",
    ]
    lines = PRE_GEN.problem_lines(answers)
    assert len(lines) == 4 and not any("more)" in line for line in lines)


def test_unsupported_combination_is_reported_with_the_other_problems() -> None:
    answers = resolve_answers({"project_slug": "a b", "transcript_redaction": "pii"})
    fields = [field for field, _ in PRE_GEN.field_problems(answers)]
    assert fields[0] == "project_slug" and fields[-1] == "transcript_redaction"


def test_note_for_local_storage_with_egress() -> None:
    assert PRE_GEN.notes(resolve_answers({"recording": "egress_audio"}))
    assert PRE_GEN.notes(dict(DEFAULTS)) == []


def test_paths_to_remove_for_the_defaults() -> None:
    pkg = DEFAULTS["package_name"]
    removed = set(POST_GEN.paths_to_remove(dict(DEFAULTS)))
    assert f"src/{pkg}/storage/s3.py" in removed
    assert f"src/{pkg}/storage/s3_store.py" in removed
    assert f"src/{pkg}/storage/local.py" not in removed
    assert f"src/{pkg}/storage/local_store.py" not in removed
    assert f"src/{pkg}/recording/agent_audio.py" not in removed
    assert f"src/{pkg}/recording/egress.py" in removed
    assert f"src/{pkg}/transcript/redaction.py" in removed


def test_paths_to_remove_use_the_package_name() -> None:
    removed = POST_GEN.paths_to_remove(resolve_answers({"package_name": "acme_bot"}))
    assert removed and all("{pkg}" not in p for p in removed)
    assert all(p.startswith(("src/acme_bot/", "tests/")) for p in removed)


@pytest.mark.parametrize("path", sorted(POST_GEN.KEEP_IF))
def test_every_conditional_path_is_kept_by_some_answers_and_removed_by_others(path) -> None:
    kept = removed = False
    for storage in choices("storage_backend"):
        for recording in choices("recording"):
            for redaction in choices("transcript_redaction"):
                answers = resolve_answers(
                    {
                        "storage_backend": storage,
                        "recording": recording,
                        "transcript_redaction": redaction,
                    }
                )
                if PRE_GEN.problems(answers):
                    continue
                gone = path.format(pkg=answers["package_name"]) in POST_GEN.paths_to_remove(answers)
                kept, removed = kept or not gone, removed or gone
    assert kept and removed


def test_recording_none_removes_the_whole_recording_package() -> None:
    answers = resolve_answers({"recording": "none"})
    assert f"src/{answers['package_name']}/recording" in POST_GEN.paths_to_remove(answers)


# ---- refusals through the Python API ------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [pytest.param(o, f, FailedHookException, id=i) for i, o, f in REFUSED]
    + [pytest.param(o, f, ValueError, id=i) for i, o, f in NOT_A_CHOICE],
)
def test_api_refuses_and_writes_nothing(overrides, field, error, tmp_path) -> None:
    output = tmp_path / "out"
    with pytest.raises(error) as raised:
        render(overrides, output)
    assert field in str(raised.value)
    _assert_nothing_written(tmp_path, output)


# ---- refusals through the real command ----------------------------------------------------


def _cli(args: list[str], output: Path, home: Path) -> subprocess.CompletedProcess:
    output.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [*tool("cookiecutter"), "--no-input", "-o", str(output), str(ROOT), *args],
        cwd=output,
        env=clean_env(HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("overrides", "field"), [pytest.param(o, f, id=i) for i, o, f in REFUSED])
def test_cli_refuses_with_one_line_per_problem_and_writes_nothing(
    overrides, field, tmp_path
) -> None:
    output = tmp_path / "out"
    result = _cli([f"{k}={v}" for k, v in overrides.items()], output, tmp_path / STATE_DIR)
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert lines == PRE_GEN.problem_lines(resolve_answers(overrides))
    assert field in lines[0]
    _assert_nothing_written(tmp_path, output)


@pytest.mark.parametrize(
    ("overrides", "field"), [pytest.param(o, f, id=i) for i, o, f in NOT_A_CHOICE]
)
def test_cli_refuses_a_value_outside_the_choices(overrides, field, tmp_path) -> None:
    output = tmp_path / "out"
    result = _cli([f"{k}={v}" for k, v in overrides.items()], output, tmp_path / STATE_DIR)
    assert result.returncode != 0
    # cookiecutter's own message (it refuses before the template's code runs): its last line.
    last = (result.stdout + result.stderr).strip().splitlines()[-1]
    assert field in last and next(iter(overrides.values())) in last
    _assert_nothing_written(tmp_path, output)


# ---- hostile but valid answers ------------------------------------------------------------

HOSTILE = {
    "project_name": "Acme \"Bot\" 'x' back\\slash {{ }} {% %} \"\"\" ''' " + INJECTION,
    "project_slug": "acme-bot",
    "description": 'first "line"\nsecond \\ line {{ cookiecutter.project_slug }} """ \'\'\'',
    "author_name": INJECTION,
    "recording_notice": 'Recorded: "yes" \\ {{ 7 * 7 }}',
}


def test_cli_takes_hostile_answers_literally(tmp_path) -> None:
    output = tmp_path / "out"
    result = _cli([f"{k}={v}" for k, v in HOSTILE.items()], output, tmp_path / STATE_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in output.iterdir()] == ["acme-bot"]
    recorded = json.loads((output / "acme-bot" / ".cookiecutter.json").read_text("utf-8"))
    assert {k: recorded[k] for k in HOSTILE} == HOSTILE
    assert not list(tmp_path.rglob(INJECTION_MARKER))


def test_api_takes_hostile_answers_literally(tmp_path) -> None:
    project = render(HOSTILE, tmp_path / "out")
    recorded = json.loads((project / ".cookiecutter.json").read_text("utf-8"))
    assert {k: recorded[k] for k in HOSTILE} == HOSTILE
    assert recorded["package_name"] == "acme_bot" and recorded["agent_name"] == "acme-bot"
    assert not list(tmp_path.rglob(INJECTION_MARKER))


def test_defaults_are_still_rendered_from_other_answers(tmp_path) -> None:
    project = render({"project_name": "Front Desk_Bot"}, tmp_path / "out")
    recorded = json.loads((project / ".cookiecutter.json").read_text("utf-8"))
    assert (recorded["project_slug"], recorded["package_name"], recorded["agent_name"]) == (
        "front-desk-bot",
        "front_desk_bot",
        "front-desk-bot",
    )
