"""The fast tier's checks find what they look for, also in files they have seen before."""

from __future__ import annotations

from pathlib import Path

from tests import checks
from tests.rendering import render
from tests.variants import Variant

LOCAL = Variant("local-check", {"storage_backend": "local"}, "fast")


def _problems(project: Path) -> list[str]:
    return checks.parse_all(project, LOCAL.answers)


def test_a_clean_render_has_no_problems_and_each_fault_is_named(tmp_path) -> None:
    first = render(LOCAL.overrides, tmp_path / "a")
    second = render(LOCAL.overrides, tmp_path / "b")
    assert _problems(first) == [] and _problems(second) == []  # the second from the cache

    package = next((second / "src").iterdir())
    agent = package / "agent.py"
    lines = agent.read_text("utf-8").splitlines(keepends=True)
    lines = ['AGENT_NAME = "someone-else"\n' if x.startswith("AGENT_NAME = ") else x for x in lines]
    agent.write_text("".join(lines), "utf-8")
    (package / "extra.py").write_text("import boto3\n\n\ndef broken(:\n    pass\n", "utf-8")
    (second / "deploy.yml").write_text("a: [1, 2\n", "utf-8")

    problems = _problems(second)
    assert any(p.startswith(f"src/{package.name}/extra.py: does not parse") for p in problems)
    assert any(p.startswith("deploy.yml: does not parse") for p in problems)
    wrong_name = f"src/{package.name}/agent.py: AGENT_NAME = 'someone-else', answer "
    assert any(p.startswith(wrong_name) for p in problems)
    assert _problems(first) == []  # its files are unchanged, and still clean

    (package / "extra.py").write_text("import boto3\n", "utf-8")
    problems = _problems(second)
    assert f"src/{package.name}/extra.py: imports boto3 although storage_backend=local" in problems
