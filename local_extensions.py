"""Cookiecutter extension: take answers literally and check them before anything is written.

cookiecutter creates ``{{cookiecutter.project_slug}}/`` before it runs the
pre-generation hook, so a slug such as ``a/b`` would leave ``a/`` behind. The
``check_answers`` filter renders ``__answers_checked`` (the last variable in
cookiecutter.json) and raises with the same lines the hook prints.

cookiecutter also renders every answer given with ``key=value`` (or
``extra_context``) as a Jinja template, so ``project_name='{{ ... }}'`` would run
code from the command line. In renders of this template (a Jinja environment with
``AnswerCheck`` loaded) only the template's own defaults are rendered; any other
answer is used as typed, as answers typed at the prompt already are. Renders of other
templates in the same process are left to cookiecutter.
"""

import importlib.util
import json
import shlex
import subprocess
import sys
from pathlib import Path

from cookiecutter import prompt
from cookiecutter.environment import StrictEnvironment
from cookiecutter.exceptions import FailedHookException
from jinja2.ext import Extension

_TEMPLATE_DIR = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location(
    "_lk_template_extensions", _TEMPLATE_DIR / "template_extensions.py"
)
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)
_rules = _shared.RULES
py_string = _shared.py_string


def _strings(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(k) | _strings(v) for k, v in value.items()))
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value))
    return set()


_OWN_TEMPLATES = _strings(json.loads((_TEMPLATE_DIR / "cookiecutter.json").read_text("utf-8")))
_render_variable = getattr(prompt.render_variable, "__wrapped__", prompt.render_variable)


def _render_own_templates_only(env, raw, cookiecutter_dict):
    # This template's environment (even one made by another copy of this module).
    ours = getattr(env.filters.get("check_answers"), "lk_recording_agent", False)
    if ours and isinstance(raw, str) and raw not in _OWN_TEMPLATES:
        return raw
    return _render_variable(env, raw, cookiecutter_dict)


_render_own_templates_only.__wrapped__ = _render_variable


def _rerun_hint(answers: dict) -> list[str]:
    """For an interactive ``cookiecutter`` run: the command that asks again, answers kept."""
    argv = sys.argv
    program = Path(argv[0]) if argv else Path()
    by_command = program.stem == "cookiecutter"  # the script (cookiecutter.exe on Windows)
    by_module = program.name == "__main__.py" and program.parent.name == "cookiecutter"
    if not (by_command or by_module) or "--no-input" in argv[1:]:
        return []
    options = [a for a in argv[1:] if "=" not in a or a.startswith("-")]
    # Answers equal to their default are left out, so that a name derived from a fixed
    # answer (the slug from the project name) is derived again.
    defaults = json.loads((_TEMPLATE_DIR / "cookiecutter.json").read_text("utf-8"))
    env, so_far, typed = StrictEnvironment(), {}, []
    for key in _shared.QUESTIONS:
        raw = defaults[key]
        if isinstance(raw, list):
            default = raw[0]
        else:
            default = env.from_string(raw).render(cookiecutter=so_far)
        so_far[key] = answers.get(key, default)
        if so_far[key] != default:
            typed.append(f"{key}={so_far[key]}")
    return [
        "your answers are kept: this asks again with each one as the default (Enter keeps it)",
        "  " + shlex.join(["cookiecutter", *options, *typed]),
    ]


def check_answers(answers) -> str:
    lines = _rules.problem_lines(dict(answers))
    if lines:
        raise FailedHookException("\n".join(lines + _rerun_hint(dict(answers))))
    return "ok"


check_answers.lk_recording_agent = True


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(_TEMPLATE_DIR), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _template_commit() -> str | None:
    """The commit this template was rendered from: a git checkout without local changes."""
    commit = (_git("rev-parse", "--verify", "HEAD") or "").strip()
    if len(commit) != 40 or _git("status", "--porcelain") != "":
        return None  # not a git checkout, or its files are not that commit's
    return commit


def _is_remote(template: str) -> bool:
    """A source another machine can use too (not a path, not a file:// URL)."""
    remote = template.startswith(("gh:", "gl:", "bb:", "git+", "https:", "http:", "git@", "ssh:"))
    return remote and "file:" not in template


def answers_file(answers) -> str:
    """``.cookiecutter.json``: the answers, where the template came from, nothing of this machine.

    ``_output_dir`` and ``_repo_dir`` are paths on the generating machine and a local
    ``_template`` is one too: they are left out. ``_commit`` is the template's git
    commit when the template is a clean git checkout (cookiecutter's clone of a remote
    one is); a working tree with changes records none rather than a wrong one.
    """
    left_out = ("_output_dir", "_repo_dir", "__prompts__")  # cookiecutter<2.2 keeps __prompts__
    data = {k: v for k, v in dict(answers).items() if k not in left_out}
    if not _is_remote(str(data.get("_template", ""))):
        data.pop("_template", None)
    commit = _template_commit()
    if commit:
        data["_commit"] = commit
    return json.dumps(data, indent=2, ensure_ascii=False)


class AnswerCheck(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["check_answers"] = check_answers
        environment.filters["py_string"] = py_string
        environment.filters["answers_file"] = answers_file
        environment.globals["template_source"] = _shared.TEMPLATE_SOURCE
        prompt.render_variable = _render_own_templates_only
