"""copier beside cookiecutter: the same questions and rules, the same tree, and updates.

Each test works on a git copy of this working tree (copier and cruft read templates
from git); the update tests tag one template commit, render it, change the template,
tag the next commit and update a project that has local edits.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest
import yaml

from tests import copier_config
from tests.rendering import clean_env, render, tool
from tests.variants import HOSTILE_VALID, PRE_GEN, ROOT, resolve_answers

GIT_ENV = {
    "GIT_AUTHOR_NAME": "harness",
    "GIT_AUTHOR_EMAIL": "harness@example.invalid",
    "GIT_COMMITTER_NAME": "harness",
    "GIT_COMMITTER_EMAIL": "harness@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
# Answers files: the only files in which the two renders may differ.
ANSWERS_FILES = {".cookiecutter.json", ".copier-answers.yml"}
SAME_TREE = {
    "defaults": {},
    "s3-webvtt-egress": {
        "storage_backend": "s3",
        "transcript_format": "webvtt",
        "recording": "egress_video",
    },
    "gcs-pii-no-notice": {
        "storage_backend": "gcs",
        "recording": "none",
        "transcript_redaction": "pii",
        "recording_notice": " ",
        "project_name": "Über Agent",
    },
    # answers with quotes, backslashes, Jinja-like text, a newline: taken literally by both
    "hostile-text": HOSTILE_VALID["hostile-text"],
    "azure-py3.13": {
        "storage_backend": "azure",
        "python_version": "3.13",
        "project_name": "123 Agent",
    },
}


def run(args: list[str], cwd: Path, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        args,
        cwd=cwd,
        env=clean_env(**GIT_ENV, **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd).stdout.strip()


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory) -> Path:
    """This working tree (tracked and new files, as they are now) as a one-commit git repo."""
    repo = tmp_path_factory.mktemp("template") / "lk-recording-agent"
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT
    ).stdout.split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file() and not source.is_symlink():
            (repo / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / relative)
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "template")
    git(repo, "tag", "v0.1.0")
    return repo


@pytest.fixture
def template(template_repo, tmp_path) -> Path:
    """A clone of the template repository that a test may change and tag."""
    clone = tmp_path / "lk-recording-agent"
    git(tmp_path, "clone", "-q", str(template_repo), str(clone))
    git(clone, "fetch", "-q", "--tags")
    return clone


def copier(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    return run([*tool("copier"), *args], cwd, check=check)


def copier_copy(template: Path, dst: Path, data: dict, check: bool = True):
    flags = [f"--data={k}={v}" for k, v in data.items()]
    return copier(
        "copy", "--trust", "--defaults", "--quiet", *flags, str(template), str(dst),
        cwd=dst.parent, check=check,
    )  # fmt: skip


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


# ---- one source of truth ---------------------------------------------------------------


def test_copier_yml_is_written_from_cookiecutter_json() -> None:
    assert (ROOT / "copier.yml").read_text("utf-8") == copier_config.render(), (
        "copier.yml is stale: python -m tests.copier_config > copier.yml"
    )


def test_copier_asks_the_same_questions_with_the_same_defaults() -> None:
    config = yaml.safe_load((ROOT / "copier.yml").read_text("utf-8"))
    asked = [k for k in config if not k.startswith("_")]
    assert asked == list(resolve_answers({}))
    assert [k for k in asked if "choices" in config[k]] == list(PRE_GEN.CHOICES)


def _shared_module():
    """template_extensions.py, loaded as copier-template-extensions loads it (by path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_copier_ext", ROOT / "template_extensions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _validate(field: str, answers: dict) -> str:
    env = jinja2.Environment(extensions=[_shared_module().CopierAnswers])
    return env.from_string("{{ answer_problem('" + field + "') }}").render(**answers)


def test_validators_run_the_hook_rules_for_their_own_question() -> None:
    answers = dict(resolve_answers({}))
    assert all(_validate(field, answers) == "" for field in answers)
    bad = {**answers, "project_slug": "my_agent", "agent_name": "a b"}
    assert "project_slug 'my_agent'" in _validate("project_slug", bad)
    assert "agent_name" not in _validate("project_slug", bad)
    # asked before the later questions: only its own problems, the rest at their defaults
    early = {"project_name": "Bot", "project_slug": "bot"}
    assert _validate("project_slug", early) == ""
    pii = {**answers, "transcript_redaction": "pii"}
    assert "recording=none" in _validate("transcript_redaction", pii)


def test_render_from_a_git_url_records_the_commit_and_no_local_url(template_repo, tmp_path) -> None:
    home = tmp_path / "home"
    run(
        [*tool("cookiecutter"), "--no-input", "-o", str(tmp_path / "out"),
         f"git+file://{template_repo}"],
        tmp_path, HOME=str(home),
    )  # fmt: skip
    recorded = json.loads(
        (tmp_path / "out" / "livekit-recording-agent" / ".cookiecutter.json").read_text("utf-8")
    )
    assert recorded["_commit"] == git(template_repo, "rev-parse", "HEAD")
    assert "_template" not in recorded and str(tmp_path) not in json.dumps(recorded)


# ---- the same tree ---------------------------------------------------------------------


@pytest.mark.parametrize("data", list(SAME_TREE.values()), ids=list(SAME_TREE))
def test_copier_and_cookiecutter_render_the_same_tree(data, template_repo, tmp_path) -> None:
    by_cookiecutter = render(data, tmp_path / "cookiecutter")
    by_copier = tmp_path / "copier" / by_cookiecutter.name
    by_copier.parent.mkdir()
    copier_copy(template_repo, by_copier, data)
    files = tree(by_cookiecutter) | tree(by_copier)
    differ = sorted(
        f
        for f in files - ANSWERS_FILES
        if not (by_copier / f).is_file()
        or not (by_cookiecutter / f).is_file()
        or not filecmp.cmp(by_copier / f, by_cookiecutter / f, shallow=False)
    )
    assert differ == []
    assert tree(by_cookiecutter) & ANSWERS_FILES == {".cookiecutter.json"}
    assert tree(by_copier) & ANSWERS_FILES == {".copier-answers.yml"}
    answers = yaml.safe_load((by_copier / ".copier-answers.yml").read_text("utf-8"))
    recorded = json.loads((by_cookiecutter / ".cookiecutter.json").read_text("utf-8"))
    assert {k: answers[k] for k in resolve_answers(data)} == {
        k: recorded[k] for k in resolve_answers(data)
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"storage": "s3"}, "'storage' is not a question of this template"),
        ({"project_slug": "my_agent"}, "project_slug 'my_agent' is not valid"),
        ({"transcript_redaction": "pii"}, "transcript_redaction=pii cannot redact"),
    ],
    ids=["unknown-key", "bad-slug", "pii-with-audio"],
)
def test_copier_refuses_and_leaves_nothing(data, expected, template_repo, tmp_path) -> None:
    dst = tmp_path / "project"
    result = copier_copy(template_repo, dst, data, check=False)
    assert result.returncode != 0 or not dst.exists()
    assert expected in result.stdout + result.stderr
    assert not dst.exists()


# ---- updates ---------------------------------------------------------------------------


def _readme_block(project: Path, marker: str) -> list[str]:
    """The commands under ``<!-- update:marker -->`` in the generated README, as written."""
    readme = (project / "README.md").read_text("utf-8")
    found = re.search(rf"<!-- update:{marker} -->\n```sh\n(.*?)```", readme, re.S)
    assert found, f"README has no update:{marker} block"
    return [line for line in found.group(1).splitlines() if line.strip()]


def _as_installed(command: str) -> list[str]:
    """A README command with ``uvx [--with X] tool`` run from the harness's own environment."""
    words = command.split()
    assert words[0] == "uvx", command
    words = words[1:]
    while words[0] == "--with":
        words = words[2:]
    return [*tool(words[0]), *words[1:]]


def _release_next_version(template: Path) -> None:
    """A template change a project should receive: a new line in its .gitignore."""
    gitignore = template / "{{cookiecutter.project_slug}}" / ".gitignore"
    gitignore.write_text(gitignore.read_text("utf-8") + "# from template v0.2.0\n", "utf-8")
    git(template, "commit", "-q", "-am", "v0.2.0")
    git(template, "tag", "v0.2.0")


def _commit_local_edit(project: Path) -> None:
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "generated")
    readme = project / "README.md"
    readme.write_text(readme.read_text("utf-8") + "\nOur own notes.\n", "utf-8")
    git(project, "commit", "-q", "-am", "local edit")


def _assert_updated_with_edits_kept(project: Path) -> None:
    assert "# from template v0.2.0" in (project / ".gitignore").read_text("utf-8")
    assert "Our own notes." in (project / "README.md").read_text("utf-8")
    assert not list(project.rglob("*.rej")) and not list(project.rglob("*.orig"))


def test_copier_update_takes_the_next_tag_and_keeps_local_edits(template, tmp_path) -> None:
    project = tmp_path / "my-agent"
    copier_copy(template, project, {"storage_backend": "s3"})
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    assert answers["_commit"] == "v0.1.0"
    _commit_local_edit(project)
    _release_next_version(template)
    for command in _readme_block(project, "copier"):
        run(_as_installed(command), project)
    _assert_updated_with_edits_kept(project)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    assert answers["_commit"] == "v0.2.0" and answers["storage_backend"] == "s3"
    assert not (project / "src" / "livekit_recording_agent" / "storage" / "local.py").exists()


def test_cruft_create_then_update_keeps_local_edits(template, tmp_path) -> None:
    run(
        [*tool("cruft"), "create", "--no-input", "--extra-context", '{"storage_backend": "gcs"}',
         "--output-dir", str(tmp_path / "out"), str(template)],
        tmp_path, HOME=str(tmp_path),
    )  # fmt: skip
    project = tmp_path / "out" / "livekit-recording-agent"
    cruft_state = json.loads((project / ".cruft.json").read_text("utf-8"))
    assert cruft_state["commit"] == git(template, "rev-parse", "HEAD")
    recorded = json.loads((project / ".cookiecutter.json").read_text("utf-8"))
    assert recorded["_commit"] == cruft_state["commit"]
    _commit_local_edit(project)
    _release_next_version(template)
    for command in _readme_block(project, "cruft"):
        run(_as_installed(command), project, HOME=str(tmp_path))
    _assert_updated_with_edits_kept(project)
    assert json.loads((project / ".cruft.json").read_text("utf-8"))["commit"] == git(
        template, "rev-parse", "HEAD"
    )


# ---- interactive -------------------------------------------------------------------------


class Terminal:
    """A program on a pseudo-terminal, as a user at a prompt sees it (POSIX only)."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        import pty

        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become the program
            os.chdir(cwd)
            os.execve(argv[0], argv, {**clean_env(**GIT_ENV), "TERM": "xterm"})
        self.screen = ""

    def expect(self, text: str, timeout: float = 60) -> None:
        import select
        import time

        deadline = time.monotonic() + timeout
        while text not in self.screen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never shown; screen ends:\n{self.screen[-800:]}")
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                data = os.read(self.fd, 65536)
                if b"\x1b[6n" in data:  # prompt_toolkit asks where the cursor is
                    os.write(self.fd, b"\x1b[1;1R")
                plain = re.sub(
                    r"\x1b\[[0-9;?]*[A-Za-z]|[\r\x08]", "", data.decode(errors="replace")
                )
                self.screen += plain

    def answer(self, text: str) -> None:
        os.write(self.fd, b"\x15" + text.encode() + b"\r")  # Ctrl-U clears the default first

    def close(self) -> None:
        import signal

        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_copier_asks_again_after_a_refused_answer(template_repo, tmp_path) -> None:
    terminal = Terminal(
        [*tool("copier"), "copy", "--trust", str(template_repo), str(tmp_path / "out")], tmp_path
    )
    try:
        terminal.expect("Project name")
        terminal.answer("Bot")
        terminal.expect("Project folder and distribution name")
        terminal.answer("my_bot")
        terminal.expect("project_slug 'my_bot' is not vali")
        terminal.answer("my-bot")
        terminal.expect("Python package name")
        between = terminal.screen.split("is not vali", 1)[1].split("Python package name")[0]
        assert "Project folder and distribution name" in between  # asked again, not skipped
        assert "my_bot" in terminal.screen.rsplit("Python package name", 1)[1]  # derived again
    finally:
        terminal.close()


@pytest.mark.parametrize(
    "name", ["Acme's Bot", "Bot 2.0", "Über Agent", "Agent  Smith", "123 Agent", "Ça -- va_bien!"]
)
def test_copier_derives_the_slug_cookiecutter_derives(name) -> None:
    from slugify import slugify  # what cookiecutter's `slugify` filter calls

    assert _shared_module().ascii_slug(name.replace("'", "")) == slugify(name.replace("'", ""))
