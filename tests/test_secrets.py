"""Fast tier: no rendered project ships a secret.

Every file of every fast-tier variant is scanned for credentials in known formats (AWS
keys, private keys, API keys, tokens, Azure account keys) and for secret settings given a
value. Example files (``.env.example``, ``*.example.yaml``) and everything outside tests/
may only hold empty values or obvious placeholders; tests may hold fake credentials, but
none in a real credential's format (the one exception: Azurite's public development key).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from tests.checks import project_files, read_text
from tests.farm import RenderFarm
from tests.variants import FAST

CREDENTIAL_FORMATS = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*(?:\\n)?[A-Za-z0-9+/=\s]{64,}"
    ),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "OpenAI key": re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "Azure account key": re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"),
}
# Published by Microsoft for the Azurite emulator; the storage tests log in with it.
PUBLIC_KEYS = {
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
}
SECRET_NAME = re.compile(
    r"SECRET|TOKEN|PASSWORD|API_KEY|ACCOUNT_KEY|ACCESS_KEY|CONNECTION_STRING|PRIVATE_KEY"
)
# NAME=value (env files, shell, Dockerfile ENV) or NAME: value (YAML), optionally quoted.
SETTING = re.compile(
    r"^\s*(?:export\s+|ENV\s+|-\s+)?([A-Z][A-Z0-9_]*)\s*[=:][ \t]*(?P<value>.*?)\s*(?:\s#.*)?$"
)
PLACEHOLDER = re.compile(
    r"""(|replace-me|changeme|\.\.\.|<[^<>]+>|your-[\w.-]+|\$\{\{[^}]*\}\}|\$\{?[A-Z_]+\}?)"""
)
SETTING_SUFFIXES = (".env.example", ".yaml", ".yml", ".md", ".sh", ".toml", "Dockerfile")


def credentials_in(text: str) -> list[str]:
    found = []
    for label, pattern in CREDENTIAL_FORMATS.items():
        found += [
            f"{label}: {m[0][:24]}..." for m in pattern.finditer(text) if m[0] not in PUBLIC_KEYS
        ]
    return found


def filled_secret_settings(text: str) -> list[str]:
    """Lines that give a secret setting a value other than a placeholder."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        setting = SETTING.match(line)
        if setting is None or not SECRET_NAME.search(setting[1]):
            continue
        value = setting["value"].strip("\"'")
        if not PLACEHOLDER.fullmatch(value):
            found.append(f"line {number}: {setting[1]} has a value")
    return found


# Cached by path and content: most files are the same in many variants.
@functools.lru_cache(maxsize=8192)
def file_problems(relative: str, text: str) -> tuple[str, ...]:
    out = [f"{relative}: {found}" for found in credentials_in(text)]
    if not relative.startswith("tests/") and relative.endswith(SETTING_SUFFIXES):
        out += [f"{relative}: {found}" for found in filled_secret_settings(text)]
    return tuple(out)


def problems(project: Path) -> list[str]:
    out = []
    for path in project_files(project):
        text = read_text(path)
        if text is not None:
            out += file_problems(path.relative_to(project).as_posix(), text)
    return out


def test_the_scanner_finds_what_it_looks_for() -> None:
    assert credentials_in("key = 'AKIAABCDEFGHIJKLMNOP'")
    assert credentials_in("-----BEGIN PRIVATE KEY-----\\n" + "MIIEvQIBADANBgkqhkiG9w0B" * 4)
    assert credentials_in("OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx")
    assert not credentials_in(f"AccountKey={next(iter(PUBLIC_KEYS))}")
    assert filled_secret_settings("LIVEKIT_API_SECRET=s3cr3t-value")
    assert filled_secret_settings("  AWS_SECRET_ACCESS_KEY: abc123")
    assert not filled_secret_settings("LIVEKIT_API_SECRET=\nOPENAI_API_KEY=replace-me")
    assert not filled_secret_settings("  AWS_SESSION_TOKEN: ${{ secrets.TOKEN }}")


def test_problems_names_each_file_also_when_its_content_was_seen(tmp_path) -> None:
    for name, secret in (("a", "LIVEKIT_API_SECRET=s3cr3t-value\n"), ("b", "")):
        (tmp_path / name / "tests").mkdir(parents=True)
        (tmp_path / name / ".env.example").write_text(secret, "utf-8")
        (tmp_path / name / "tests" / ".env.example").write_text(secret, "utf-8")
    found = ".env.example: line 1: LIVEKIT_API_SECRET has a value"
    assert problems(tmp_path / "a") == [found]  # tests/ may hold fake values
    assert problems(tmp_path / "b") == []
    assert problems(tmp_path / "a") == [found]


@pytest.mark.parametrize(
    "variant",
    [pytest.param(v, id=v.id) for v in FAST],  # conftest.work_units: on its shard's worker
)
def test_no_rendered_file_holds_a_secret(variant, render_farm: RenderFarm) -> None:
    result = render_farm.result(variant)
    if result.project is None:
        pytest.fail(f"{variant.id} did not render (see test_render)", pytrace=False)
    found = problems(result.project)
    assert found == [], "\n".join(found)
