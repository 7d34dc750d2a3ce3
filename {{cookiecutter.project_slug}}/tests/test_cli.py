"""The command line an operator meets first: one help for every command, and a worker
that refuses to start, non-zero and one line per problem, when something is missing."""

from __future__ import annotations

import pytest

import storage_server
from {{ cookiecutter.package_name }} import preflight

WORKER_KEYS = {
    "LIVEKIT_URL": "wss://example.livekit.cloud",
    "LIVEKIT_API_KEY": "APIexample",
    "LIVEKIT_API_SECRET": "example-secret",
    "DEEPGRAM_API_KEY": "dg-example",
    "OPENAI_API_KEY": "sk-example",
}
OUR_COMMANDS = ["check", "flush", "transcript"{% if cookiecutter.recording in ["egress_audio", "egress_video"] %}, "record"{% endif %}]


@pytest.fixture
def env(storage_env, tmp_path) -> dict[str, str]:
    inherited = storage_server.cli_env(storage_env, tmp_path / "spool")
    return {k: v for k, v in inherited.items() if k not in WORKER_KEYS}


def test_help_lists_livekit_commands_and_ours(env, tmp_path):
    done = storage_server.run_cli("--help", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = {line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line}
    assert {"start", "dev", "console", "connect", "download-files", *OUR_COMMANDS} <= listed


@pytest.mark.parametrize("missing", sorted(WORKER_KEYS))
def test_start_without_a_variable_exits_non_zero_naming_it(env, tmp_path, missing):
    given = {k: v for k, v in WORKER_KEYS.items() if k != missing}
    done = storage_server.run_cli("start", env=env | given, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()], "one line"
    assert done.stderr.startswith(f"error: {missing} is not set")


def test_start_with_nothing_set_names_every_variable_one_line_each(env, tmp_path):
    done = storage_server.run_cli("start", env=env, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert [line.split()[1] for line in lines] == list(WORKER_KEYS)
    assert all(line.startswith("error: ") for line in lines)


def test_the_placeholder_url_is_named_as_a_placeholder(env, tmp_path):
    keys = WORKER_KEYS | {"LIVEKIT_URL": "wss://your-project.livekit.cloud"}
    done = storage_server.run_cli("start", env=env | keys, cwd=tmp_path)
    assert done.returncode == 2
    assert "placeholder" in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_spool_that_cannot_be_written_is_refused_before_start(env, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    changes = WORKER_KEYS | {"SPOOL_DIR": str(tmp_path / "a-file")}
    done = storage_server.run_cli("start", env=env | changes, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: SPOOL_DIR=") and len(done.stderr.splitlines()) == 1


def test_the_url_and_keys_may_come_from_start_options(env):
    models = {k: WORKER_KEYS[k] for k in ("DEEPGRAM_API_KEY", "OPENAI_API_KEY")}
    options = ("--url", "ws://127.0.0.1:9", "--api-key=k", "--api-secret", "s")
    assert preflight.problems(env | models, options) == []
    assert len(preflight.problems(env | models)) == 3
