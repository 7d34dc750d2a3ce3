"""The variant manifest: the one list of answer sets that every tier and CI job uses.

    python -m tests.variants --json     every variant (id, tier, group, overrides)
    python -m tests.variants --groups   the slow tier's group names, for a CI matrix

Fast tier: every valid combination of the options that change code, plus each
metadata-only option one value at a time, plus hostile-but-valid text answers.
Slow tier: the defaults plus a pairwise covering set of the valid combinations;
each of those projects runs its own test suite.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import itertools
import json
import sys
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import jinja2
from allpairspy import AllPairs
from cookiecutter.environment import StrictEnvironment

ROOT = Path(__file__).resolve().parent.parent
COOKIECUTTER_JSON: dict = json.loads((ROOT / "cookiecutter.json").read_text("utf-8"))
QUESTIONS = tuple(key for key in COOKIECUTTER_JSON if not key.startswith("_"))

# Options whose value changes the generated code, in an order where each option
# that a constraint depends on comes before the options it constrains.
CODE_OPTIONS = ("storage_backend", "transcript_format", "recording", "transcript_redaction")
# Options that only change text (Docker/CI versions, prompts, names): one value at a time.
METADATA_VALUES: dict[str, dict[str, str]] = {
    "python_version": {"3.11": "3.11", "3.13": "3.13"},
    "recording_notice": {
        "empty": "",
        # The longest notice the hooks accept.
        "longest": ("This call is recorded and transcribed for quality and compliance. " * 5)[:300],
    },
    "agent_name": {"odd": "Support.Bot_v2-EU.1"},
}
SLOW_GROUP_COUNT = 3
# Every Python the generated projects support: the generated README's range and the start
# of requires-python. The slow tier runs the default variant's suite on each one.
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")


def load_hook(name: str) -> ModuleType:
    """Import hooks/<name>.py (a template file, also valid Python) as a module."""
    spec = importlib.util.spec_from_file_location(f"_hook_{name}", ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PRE_GEN = load_hook("pre_gen_project")
POST_GEN = load_hook("post_gen_project")


def choices(option: str) -> list[str]:
    return list(COOKIECUTTER_JSON[option])


@functools.cache
def _default_template(raw: str) -> jinja2.Template:
    # cookiecutter's own environment: its default extensions give the `slugify` filter.
    return StrictEnvironment().from_string(raw)


def resolve_answers(overrides: Mapping[str, str]) -> dict[str, str]:
    """The answers cookiecutter will use: overrides taken literally, defaults rendered."""
    answers: dict[str, str] = {}
    for key, raw in COOKIECUTTER_JSON.items():
        if key.startswith("_"):
            continue
        if key in overrides:
            answers[key] = overrides[key]
        elif isinstance(raw, list):
            answers[key] = raw[0]
        else:
            answers[key] = _default_template(raw).render(cookiecutter=answers)
    return answers


def is_valid(overrides: Mapping[str, str]) -> bool:
    return not PRE_GEN.problems(resolve_answers(overrides))


@dataclass(frozen=True)
class Variant:
    id: str
    overrides: Mapping[str, str]
    tier: str  # "fast" or "slow"
    # The answers contain template-like text on purpose, so the output may too.
    literal_text: bool = False
    group: str | None = None
    answers: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # cookiecutter drops an unknown key without a word: the variant would test the
        # defaults. Refusing it here stops the manifest, so every tier and the CI matrix.
        unknown = sorted(set(self.overrides) - set(QUESTIONS))
        if unknown:
            raise KeyError(f"variant {self.id!r}: not in cookiecutter.json: {unknown}")
        object.__setattr__(self, "answers", resolve_answers(self.overrides))

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "tier": self.tier,
            "group": self.group,
            "overrides": dict(self.overrides),
        }


def combo_id(values: Mapping[str, str]) -> str:
    answers = resolve_answers(values)
    parts = [answers[option] for option in CODE_OPTIONS]
    default_python = choices("python_version")[0]
    if answers["python_version"] != default_python:
        parts.append(f"py{answers['python_version']}")
    return "-".join(parts)


def _code_product() -> list[dict[str, str]]:
    return [c for c in _product(CODE_OPTIONS) if is_valid(c)]


HOSTILE_TEXT = (
    "Acme \"Quoted\" 'single' back\\slash {{ not.jinja }} {% if %} \"\"\" ''' ${HOME} </x>"
)
# Would create this file (relative to the working directory) if an answer were run as Jinja.
INJECTION_MARKER = "INJECTED-CODE-RAN"
INJECTION = "{{ cycler.__init__.__globals__.os.makedirs('" + INJECTION_MARKER + "') }}"

HOSTILE_VALID: dict[str, dict[str, str]] = {
    "hostile-text": {
        "project_name": HOSTILE_TEXT,
        "project_slug": "hostile-agent",
        "description": HOSTILE_TEXT + "\nsecond line\r\n\ttabbed {{ }}",
        "author_name": 'O\'Brien "Bob" \\ {{ x }}',
        "recording_notice": 'This call is "recorded" \\ {{ notice }} """ \'\'\' %s {}',
    },
    "hostile-text-captions": {
        "project_name": HOSTILE_TEXT,
        "project_slug": "hostile-captions",
        "description": "\"\"\"\n'''\n\\",
        "storage_backend": "azure",
        "transcript_format": "webvtt",
        "recording": "egress_video",
    },
    "hostile-injection": {
        "project_name": INJECTION,
        "project_slug": "injection-agent",
        "description": INJECTION,
        "author_name": INJECTION,
        "recording_notice": INJECTION,
    },
}


def fast_variants() -> list[Variant]:
    out = [Variant(combo_id(c), c, "fast") for c in _code_product()]
    for option, values in METADATA_VALUES.items():
        for label, value in values.items():
            out.append(Variant(f"meta-{option}-{label}", {option: value}, "fast"))
    for name, overrides in HOSTILE_VALID.items():
        out.append(Variant(name, overrides, "fast", literal_text=True))
    return out


PAIRWISE_OPTIONS = (*CODE_OPTIONS, "python_version")


def slow_combos() -> list[dict[str, str]]:
    """Defaults first, then a pairwise covering set over the valid combinations."""

    def valid_prefix(row: list[str]) -> bool:
        # Options missing from a partial row take their defaults, which are valid.
        return is_valid(dict(zip(PAIRWISE_OPTIONS, row, strict=False)))

    # allpairspy wants an OrderedDict (a plain dict is taken as a list of names).
    parameters = OrderedDict((option, choices(option)) for option in PAIRWISE_OPTIONS)
    rows = [
        dict(zip(PAIRWISE_OPTIONS, row, strict=True))
        for row in AllPairs(parameters, filter_func=valid_prefix)
    ]
    defaults = {option: choices(option)[0] for option in PAIRWISE_OPTIONS}
    combos = [defaults, *rows]
    # allpairspy's greedy search can miss a pair that only some valid rows allow.
    valid = [c for c in _product(PAIRWISE_OPTIONS) if is_valid(c)]
    missing = _pairs(valid) - _pairs(combos)
    while missing:
        best = max(valid, key=lambda c: len(_pairs_of(c) & missing))
        combos.append(best)
        missing -= _pairs_of(best)
    unique: dict[str, dict[str, str]] = {}
    for combo in combos:
        unique.setdefault(combo_id(combo), combo)
    return list(unique.values())


def _product(options: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        dict(zip(options, values, strict=True))
        for values in itertools.product(*map(choices, options))
    ]


def _pairs_of(combo: Mapping[str, str]) -> set[tuple[str, str, str, str]]:
    return {(a, combo[a], b, combo[b]) for a, b in itertools.combinations(combo, 2)}


def _pairs(combos: list[dict[str, str]]) -> set[tuple[str, str, str, str]]:
    return set().union(*map(_pairs_of, combos))


def slow_variants() -> list[Variant]:
    return [
        Variant(combo_id(c), c, "slow", group=str(i % SLOW_GROUP_COUNT + 1))
        for i, c in enumerate(slow_combos())
    ]


def slow_groups() -> list[str]:
    return [str(i + 1) for i in range(SLOW_GROUP_COUNT)]


FAST = fast_variants()
SLOW = slow_variants()
ALL = FAST + SLOW


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.variants", description=__doc__.split("\n")[0]
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--json", action="store_true", help="every variant as a JSON list")
    what.add_argument("--groups", action="store_true", help="slow-tier group names as a JSON list")
    args = parser.parse_args(argv)
    payload = [v.as_json() for v in ALL] if args.json else slow_groups()
    json.dump(payload, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
