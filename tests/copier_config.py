"""copier.yml, written from cookiecutter.json: one source for questions, defaults and labels.

    python -m tests.copier_config > copier.yml

Every question's validator is ``answer_problem``, which runs the same rules as the
cookiecutter hooks (hooks/pre_gen_project.py), so copier re-asks on a bad answer.
The test suite fails when copier.yml differs from what this prints.
"""

from __future__ import annotations

import re
import sys

import yaml

from tests.variants import COOKIECUTTER_JSON

HEADER = """\
# Written by `python -m tests.copier_config` from cookiecutter.json: edit that, not this.
# copier copy --trust gh:org/lk-recording-agent my-agent   (needs copier-template-extensions)
"""

SETTINGS = {
    # the version tested here (tests/test_copier.py); older ones may work
    "_min_copier_version": "9.19",
    # The same tree as cookiecutter renders; every file is a template.
    "_subdirectory": "{% raw %}{{cookiecutter.project_slug}}{% endraw %}",
    "_templates_suffix": "",
    "_answers_file": ".copier-answers.yml",
    "_exclude": [".cookiecutter.json"],
    "_jinja_extensions": [
        "copier_template_extensions.TemplateExtensionLoader",
        "template_extensions.py:CopierAnswers",
    ],
    # cookiecutter's two hooks, given the answers as JSON. The first refuses bad answers
    # (``--defaults`` skips the validators) and --data keys that are not questions; copier
    # then deletes what it wrote. The second removes the files of options not chosen.
    "_tasks": [
        [
            "{{ _copier_python }}",
            "{{ _copier_conf.src_path }}/hooks/pre_gen_project.py",
            "{{ cookiecutter | to_json }}",
            "{{ _copier_conf.data | to_json }}",
        ],
        [
            "{{ _copier_python }}",
            "{{ _copier_conf.src_path }}/hooks/post_gen_project.py",
            "{{ cookiecutter | to_json }}",
        ],
    ],
}


def _bare(raw: str) -> str:
    """A cookiecutter default with ``cookiecutter.x`` written as copier's ``x``."""
    return re.sub(r"\bcookiecutter\.", "", raw)


def questions() -> dict[str, dict]:
    prompts = COOKIECUTTER_JSON["__prompts__"]
    out: dict[str, dict] = {}
    for name, raw in COOKIECUTTER_JSON.items():
        if name.startswith("_"):
            continue
        prompt = prompts[name]
        question: dict = {"type": "str"}
        if isinstance(raw, list):
            question["help"] = prompt["__prompt__"]
            question["choices"] = {prompt[value]: value for value in raw}
            question["default"] = raw[0]
        else:
            question["help"] = prompt
            question["default"] = _bare(raw)
        question["validator"] = "{{ answer_problem('" + name + "') }}"
        out[name] = question
    return out


def render() -> str:
    body = yaml.safe_dump(
        {**SETTINGS, **questions()}, sort_keys=False, allow_unicode=True, width=100
    )
    return HEADER + body


if __name__ == "__main__":
    sys.stdout.write(render())
