"""Cookiecutter extension: take answers literally and check them before anything is written.

cookiecutter creates ``{{cookiecutter.project_slug}}/`` before it runs the
pre-generation hook, so a slug such as ``a/b`` would leave ``a/`` behind. The
``check_answers`` filter renders ``__answers_checked`` (the last variable in
cookiecutter.json) and raises with the same one-line message the hook prints.

cookiecutter also renders every answer given with ``key=value`` (or
``extra_context``) as a Jinja template, so ``project_name='{{ ... }}'`` would run
code from the command line. Only the template's own defaults are rendered here;
any other answer is used as typed, as answers typed at the prompt already are.
"""

import importlib.util
import json
from pathlib import Path

from cookiecutter import prompt
from cookiecutter.exceptions import FailedHookException
from jinja2.ext import Extension

_TEMPLATE_DIR = Path(__file__).parent

_spec = importlib.util.spec_from_file_location(
    "_answer_rules", _TEMPLATE_DIR / "hooks" / "pre_gen_project.py"
)
_rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_rules)


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
    if isinstance(raw, str) and raw not in _OWN_TEMPLATES:
        return raw
    return _render_variable(env, raw, cookiecutter_dict)


_render_own_templates_only.__wrapped__ = _render_variable
prompt.render_variable = _render_own_templates_only


def check_answers(answers) -> str:
    line = _rules.first_problem_line(dict(answers))
    if line:
        raise FailedHookException(line)
    return "ok"


def py_string(value) -> str:
    """A Python string literal quoted the way ``ruff format`` keeps it."""
    text = str(value)
    quote = "'" if text.count('"') > text.count("'") else '"'
    body = "".join(
        "\\" + ch if ch in ("\\", quote) else ch if ch.isprintable() else repr(ch)[1:-1]
        for ch in text
    )
    return quote + body + quote


class AnswerCheck(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["check_answers"] = check_answers
        environment.filters["py_string"] = py_string
