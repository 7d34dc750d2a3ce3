"""Refuse bad answers before anything is written.

The same ``field_problems()`` runs as copier's per-question validators
(``template_extensions.answer_problem``) and twice for cookiecutter: from
``local_extensions.AnswerCheck`` while cookiecutter resolves the answers (before the
output folder exists), and here as the pre-generation hook (which also covers
``--replay``). Tests import it directly.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

CHOICES = {
    "python_version": ("3.12", "3.11", "3.13"),
    "storage_backend": ("local", "s3", "gcs", "azure"),
    "transcript_format": ("json", "jsonl", "text", "markdown", "webvtt", "srt"),
    "recording": ("agent_audio", "egress_audio", "egress_video", "none"),
    "transcript_redaction": ("none", "pii"),
}

# What the labels in cookiecutter.json say: lowercase letters and digits, single hyphens
# between them (a leading digit is fine for a distribution name; the package name derived
# from it gets a leading underscore).
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_HINT = "use lowercase letters, digits and single hyphens, e.g. my-agent"
PACKAGE_RE = re.compile(r"[a-z_][a-z0-9_]*")
# LiveKit agent names travel in dispatch requests and JWT grants: keep them plain.
AGENT_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})")
RESERVED_PACKAGES = {"livekit", "tests", "test", "dotenv", "src"}

# (field, predicate, message): option combinations the template does not support.
UNSUPPORTED = [
    (
        "transcript_redaction",
        lambda a: a["transcript_redaction"] == "pii" and a["recording"] != "none",
        "transcript_redaction=pii cannot redact the audio that recording={recording} stores; "
        "choose recording=none with pii, or transcript_redaction=none",
    ),
]


def _identifier_problem(field: str, value: str, pattern: re.Pattern[str], hint: str) -> str | None:
    if not value:
        return f"{field} is empty; {hint}"
    if not value.isascii() or not pattern.fullmatch(value):
        return f"{field} {value!r} is not valid; {hint}"
    if keyword.iskeyword(value.replace("-", "_")) or keyword.issoftkeyword(value):
        return f"{field} {value!r} is a Python keyword; pick another name"
    return None


def field_problems(answers: dict) -> list[tuple[str, str]]:
    """(field, message) for every bad answer, in question order (empty when all are fine)."""
    found: list[tuple[str, str]] = []

    def add(field: str, message: str | None) -> None:
        if message:
            found.append((field, message))

    if not str(answers.get("project_name", "")).strip():
        add("project_name", "project_name is empty; give the project a name")
    slug = str(answers.get("project_slug", ""))
    package = str(answers.get("package_name", ""))
    agent_name = str(answers.get("agent_name", ""))
    add("project_slug", _identifier_problem("project_slug", slug, SLUG_RE, SLUG_HINT))
    package_hint = "use a lowercase Python identifier, e.g. my_agent"
    add("package_name", _identifier_problem("package_name", package, PACKAGE_RE, package_hint))
    if package and package in RESERVED_PACKAGES | set(sys.stdlib_module_names):
        add(
            "package_name",
            f"package_name {package!r} would shadow an existing module; pick another name",
        )
    if not AGENT_NAME_RE.fullmatch(agent_name) or not agent_name.isascii():
        add(
            "agent_name",
            f"agent_name {agent_name!r} is not valid for LiveKit dispatch; "
            "use 1-63 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    for field, allowed in CHOICES.items():
        if answers.get(field) not in allowed:
            add(field, f"{field} {answers.get(field)!r} is not one of: {', '.join(allowed)}")
    notice = str(answers.get("recording_notice", ""))
    if "\n" in notice or "\r" in notice or len(notice) > 300:
        add(
            "recording_notice",
            "recording_notice must be one sentence on one line, at most 300 characters",
        )
    if all(answers.get(f) in allowed for f, allowed in CHOICES.items()):
        for field, unsupported, message in UNSUPPORTED:
            if unsupported(answers):
                add(field, message.format(**answers))
    return found


def problems(answers: dict) -> list[str]:
    """One message per bad answer (empty when the answers are fine)."""
    return [message for _, message in field_problems(answers)]


def problem_lines(answers: dict) -> list[str]:
    """The lines shown to the user: one ``error:`` line per problem."""
    return [f"error: {message}" for message in problems(answers)]


def notes(answers: dict) -> list[str]:
    """Things that are allowed but worth saying before the project is written."""
    out = []
    if answers.get("storage_backend") == "local" and str(answers.get("recording", "")).startswith(
        "egress"
    ):
        out.append(
            "note: with storage_backend=local, egress writes recordings to the disk of the "
            "egress server (your self-hosted egress host), not to this agent's disk"
        )
    return out


def unknown_keys(given: dict, answers: dict) -> list[str]:
    """Lines for answers given on the command line that are not questions (copier --data)."""
    return [
        f"error: {key!r} is not a question of this template; questions: {', '.join(answers)}"
        for key in given
        if key not in answers and not key.startswith("_")  # copier's own (_commit, ...)
    ]


if __name__ == "__main__":
    if len(sys.argv) > 1:  # copier's first task: the answers, then what --data gave
        ANSWERS = json.loads(sys.argv[1])
        GIVEN = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    else:
        ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')  # fmt: skip
        GIVEN = {}
    lines = unknown_keys(GIVEN, ANSWERS) + problem_lines(ANSWERS)
    if lines:
        print("\n".join(lines), file=sys.stderr)
        sys.exit(1)
    for note in notes(ANSWERS):
        print(note)
