"""Render the template the way a user does, into a folder of the caller's."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import jinja2
from cookiecutter.environment import StrictEnvironment
from cookiecutter.main import cookiecutter

from tests.variants import COOKIECUTTER_JSON, ROOT

# Beside the output folder: cookiecutter's replay files and template cache.
STATE_DIR = ".cookiecutter-state"
# A render changes the process's working directory: one at a time per process.
_RENDERING = threading.Lock()


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept for the process: Jinja checks each source's checksum."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


def _share_compiled_templates() -> None:
    """Compiling the template's files is most of a render; do it once per process.

    Output is unchanged: only the compile step is cached (file templates only).
    """
    cache = _MemoryBytecodeCache()
    original_init = StrictEnvironment.__init__

    def init(self, **kwargs) -> None:
        original_init(self, **kwargs)
        self.bytecode_cache = cache

    StrictEnvironment.__init__ = init


_share_compiled_templates()


@contextlib.contextmanager
def working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def render(overrides: Mapping[str, str], output_dir: Path) -> Path:
    """Render with cookiecutter's Python API, as ``--no-input`` would; return the project.

    The config dict (rather than ``default_config=True``) keeps ``~/.cookiecutterrc``
    out as well, and also keeps replay files out of the user's home. The render runs
    inside ``output_dir`` so that anything an answer manages to create lands there.
    """
    # cookiecutter silently ignores an unknown key, which would quietly test the defaults.
    unknown = set(overrides) - {key for key in COOKIECUTTER_JSON if not key.startswith("_")}
    if unknown:
        raise KeyError(f"not in cookiecutter.json: {sorted(unknown)}")
    output_dir.mkdir(parents=True, exist_ok=True)
    state = output_dir.parent / STATE_DIR
    config = {"replay_dir": str(state / "replay"), "cookiecutters_dir": str(state / "templates")}
    with _RENDERING, working_directory(output_dir):
        project = cookiecutter(
            str(ROOT),
            no_input=True,
            extra_context=dict(overrides),
            output_dir=str(output_dir),
            default_config=config,
        )
    return Path(project)


def clean_env(**extra: str) -> dict[str, str]:
    """The harness's environment without what would leak into a child Python/pytest."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME") and not key.startswith("PYTEST_")
    }
    env.update(extra)
    return env


def tool(name: str) -> list[str]:
    """Command prefix for a console script installed beside the harness's interpreter."""
    script = Path(sys.executable).parent / name
    return [str(script)] if script.exists() else [sys.executable, "-m", name]
