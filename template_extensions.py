"""Jinja helpers shared by the cookiecutter and the copier renders of this template.

Imports nothing but the standard library and Jinja, so that copier (which loads the
``CopierAnswers`` extension below through copier-template-extensions) needs no
cookiecutter, and cookiecutter (``local_extensions.py``) needs no copier.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from pathlib import Path

from jinja2 import pass_context
from jinja2.ext import Extension

TEMPLATE_DIR = Path(__file__).resolve().parent
# Where users get the template; the generated README's update commands name it.
TEMPLATE_SOURCE = "gh:org/lk-recording-agent"
# The questions, in the order asked: cookiecutter.json is the one list (copier.yml is
# written from it).
QUESTIONS = tuple(
    key
    for key in json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text("utf-8"))
    if not key.startswith("_")
)


def load_rules():
    """hooks/pre_gen_project.py (a template file that is also plain Python) as a module."""
    spec = importlib.util.spec_from_file_location(
        "_lk_answer_rules", TEMPLATE_DIR / "hooks" / "pre_gen_project.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


RULES = load_rules()


def py_string(value) -> str:
    """A Python string literal quoted the way ``ruff format`` keeps it."""
    text = str(value)
    quote = "'" if text.count('"') > text.count("'") else '"'
    body = "".join(
        "\\" + ch if ch in ("\\", quote) else ch if ch.isprintable() else repr(ch)[1:-1]
        for ch in text
    )
    return quote + body + quote


def ascii_slug(value) -> str:
    """python-slugify's result for Latin text, for copier (which does not ship slugify)."""
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pass_context
def answer_problem(context, field: str) -> str:
    """Copier validator: the problems with ``field``, given the answers so far ('' if none)."""
    answers = {name: context.get(name, "") for name in QUESTIONS}
    for name, allowed in RULES.CHOICES.items():
        if answers[name] == "":
            answers[name] = allowed[0]  # not asked yet: check the others against the default
    messages = [m for f, m in RULES.field_problems(answers) if f == field]
    return "; ".join(messages)


class CopierAnswers(Extension):
    """Copier: answers reachable as ``cookiecutter.<name>``, as the template's files use them."""

    def __init__(self, environment) -> None:
        super().__init__(environment)
        environment.filters["py_string"] = py_string
        environment.filters.setdefault("slugify", ascii_slug)
        environment.globals["answer_problem"] = answer_problem
        environment.globals["template_source"] = TEMPLATE_SOURCE
        base = environment.context_class

        class Context(base):
            def __init__(self, env, parent, name, blocks, globals=None):
                if "_copier_conf" in parent and "cookiecutter" not in parent:
                    parent = dict(parent)
                    parent["cookiecutter"] = {q: parent[q] for q in QUESTIONS if q in parent}
                super().__init__(env, parent, name, blocks, globals)

        environment.context_class = Context
