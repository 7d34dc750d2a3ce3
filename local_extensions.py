"""Cookiecutter extension: check the answers before the output folder is created.

cookiecutter creates ``{{cookiecutter.project_slug}}/`` before it runs the
pre-generation hook, so a slug such as ``a/b`` would leave ``a/`` behind. The
``check_answers`` filter renders ``__answers_checked`` (the last variable in
cookiecutter.json) and raises with the same one-line message the hook prints.
"""

import importlib.util
from pathlib import Path

from cookiecutter.exceptions import FailedHookException
from jinja2.ext import Extension

_spec = importlib.util.spec_from_file_location(
    "_answer_rules", Path(__file__).parent / "hooks" / "pre_gen_project.py"
)
_rules = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_rules)


def check_answers(answers) -> str:
    line = _rules.first_problem_line(dict(answers))
    if line:
        raise FailedHookException(line)
    return "ok"


class AnswerCheck(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["check_answers"] = check_answers
