"""Real local storage servers for the tests, and running our CLI against them.

The server for the chosen backend lives in ``{{ cookiecutter.storage_backend }}_server.py`` (class
``BackendServer``); it starts once per test session, and a test can stop and restart it to
simulate an outage. Each test gets a fresh bucket (``new_bucket``).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NoReturn, Protocol

import pytest

from {{ cookiecutter.package_name }}.__main__ import main
from {{ cookiecutter.package_name }}.settings import ConfigError, Settings

PROJECT_DIR = Path(__file__).resolve().parents[1]
# Variables that configure storage: dropped from the inherited environment so that a
# developer's own settings cannot leak into a test.
STORAGE_VARIABLE_PREFIXES = (
    "AWS_",
    "S3_",
    "GCS_",
    "GOOGLE_",
    "STORAGE_",
    "AZURE_STORAGE_",
    "LOCAL_STORAGE_",
    "SPOOL_DIR",
    "UPLOAD_TIMEOUT",
)


def tool_missing(message: str) -> NoReturn:
    """Skip the test when a server is not installed locally; on CI that is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StorageServer:
    """A real server for the backend. Subclasses fill in the four methods below."""

    # Regular expressions the backend's error matches while the server is stopped, and
    # when the bucket does not exist.
    outage_reason = ""
    missing_bucket_reason = ""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.buckets: list[str] = []

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def make_bucket(self, name: str) -> None:
        """Create ``name`` if it does not exist yet."""
        raise NotImplementedError

    def env(self, bucket: str) -> dict[str, str]:
        """Environment variables that point the agent at ``bucket`` on this server."""
        raise NotImplementedError

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:12]}"
        self.make_bucket(name)
        self.buckets.append(name)
        return name

    def restart(self) -> None:
        """Start again after ``stop()``; buckets exist again (empty if the server forgot them)."""
        self.start()
        for name in self.buckets:
            self.make_bucket(name)

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        """The server is down inside the block and back up after it."""
        self.stop()
        try:
            yield
        finally:
            self.restart()


class Stoppable(Protocol):
    def stop(self) -> None: ...


class EmulatorServer(StorageServer):
    """An emulator listening on a free port of 127.0.0.1 at ``url``.

    Subclasses implement ``launch()``: start the emulator on ``port`` (returning once it
    answers) and return what stops it, or call ``tool_missing`` when it is not installed.
    """

    url_path = ""  # appended to http://127.0.0.1:PORT

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{self.url_path}"
        self._running: Stoppable | None = None

    def launch(self) -> Stoppable:
        raise NotImplementedError

    def start(self) -> None:
        self._running = self.launch()

    def stop(self) -> None:
        assert self._running is not None, "stop() before start()"
        self._running.stop()


def cli_env(storage_env: Mapping[str, str], spool_dir: Path) -> dict[str, str]:
    """The environment for running our CLI: this process's, minus any storage settings."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(STORAGE_VARIABLE_PREFIXES) and name != "VIRTUAL_ENV"
    }
    path = os.pathsep.join([str(PROJECT_DIR / "src"), str(PROJECT_DIR / "tests")])
    settings = {"SPOOL_DIR": str(spool_dir), "UPLOAD_TIMEOUT": "20", "PYTHONPATH": path}
    return inherited | dict(storage_env) | settings


def run_cli(
    *args: str, env: Mapping[str, str], cwd: Path, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m {{ cookiecutter.package_name }} ARGS`` in ``cwd`` (which has no .env.local)."""
    return subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}", *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def with_changes(env: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """``env`` with ``changes`` applied; ``None`` removes the variable."""
    out = dict(env)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def assert_refused(env: Mapping[str, str], variable: str) -> None:
    """Settings and the ``check`` command both refuse ``env`` in one line naming ``variable``.

    The command runs in this process (``main(["check"])``) with exactly ``env`` as its
    storage settings; the tests of a failing check run it as a subprocess.
    """
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(env)
    message = str(refused.value)
    assert variable in message
    assert "\n" not in message

    stderr = io.StringIO()
    with (
        pytest.MonkeyPatch.context() as patch,
        tempfile.TemporaryDirectory() as workdir,
        contextlib.redirect_stderr(stderr),
    ):
        patch.chdir(workdir)  # away from any .env.local
        for name in list(os.environ):
            if name.startswith(STORAGE_VARIABLE_PREFIXES):
                patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        code = main(["check"])
    assert code == 2
    assert stderr.getvalue() == f"error: {message}\n"
