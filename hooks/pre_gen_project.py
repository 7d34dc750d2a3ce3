"""Refuse bad answers before anything is written.

The same ``problems()`` runs twice: from ``local_extensions.AnswerCheck`` while
cookiecutter resolves the answers (before the output folder exists), and here as
the pre-generation hook (which also covers ``--replay``). Tests import it directly.
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

SLUG_RE = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
PACKAGE_RE = re.compile(r"[a-z_][a-z0-9_]*")
# LiveKit agent names travel in dispatch requests and JWT grants: keep them plain.
AGENT_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62})")
RESERVED_PACKAGES = {"livekit", "tests", "test", "dotenv", "src"}

# (predicate, message): option combinations the template does not support.
UNSUPPORTED = [
    (
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


def problems(answers: dict) -> list[str]:
    """Return one message per bad answer (empty when the answers are fine)."""
    found: list[str] = []
    for field, allowed in CHOICES.items():
        if answers.get(field) not in allowed:
            found.append(f"{field} {answers.get(field)!r} is not one of: {', '.join(allowed)}")

    slug = str(answers.get("project_slug", ""))
    package = str(answers.get("package_name", ""))
    agent_name = str(answers.get("agent_name", ""))
    checks = [
        _identifier_problem(
            "project_slug",
            slug,
            SLUG_RE,
            "use lowercase letters, digits and single hyphens, e.g. my-agent",
        ),
        _identifier_problem(
            "package_name", package, PACKAGE_RE, "use a lowercase Python identifier, e.g. my_agent"
        ),
    ]
    found += [c for c in checks if c]
    if package and package in RESERVED_PACKAGES | set(sys.stdlib_module_names):
        found.append(f"package_name {package!r} would shadow an existing module; pick another name")
    if not AGENT_NAME_RE.fullmatch(agent_name) or not agent_name.isascii():
        found.append(
            f"agent_name {agent_name!r} is not valid for LiveKit dispatch; "
            "use 1-63 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if not str(answers.get("project_name", "")).strip():
        found.append("project_name is empty; give the project a name")
    notice = str(answers.get("recording_notice", ""))
    if "\n" in notice or "\r" in notice or len(notice) > 300:
        found.append("recording_notice must be one sentence on one line, at most 300 characters")

    if not found:
        found += [msg.format(**answers) for unsupported, msg in UNSUPPORTED if unsupported(answers)]
    return found


def first_problem_line(answers: dict) -> str | None:
    """The one line shown to the user, or None when the answers are fine."""
    found = problems(answers)
    if not found:
        return None
    extra = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return f"error: {found[0]}{extra}"


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


if __name__ == "__main__":
    ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')  # fmt: skip
    line = first_problem_line(ANSWERS)
    if line:
        print(line, file=sys.stderr)
        sys.exit(1)
    for note in notes(ANSWERS):
        print(note)
