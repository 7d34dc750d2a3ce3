"""Render generated projects from this template and import their package.

Every render has the same package name, so ``load`` swaps the previous render's
modules out of ``sys.modules`` before importing the next one.
"""

from __future__ import annotations

import gc
import importlib
import json
import sys
from pathlib import Path
from types import SimpleNamespace

TEMPLATE = Path(__file__).resolve().parent.parent


def render(output_dir: Path, **answers: str) -> Path:
    """Render the template with ``answers`` (others default); return the project dir."""
    from cookiecutter.main import cookiecutter

    known = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    unknown = set(answers) - set(known)
    if unknown:  # cookiecutter silently ignores unknown keys
        raise KeyError(f"not template answers: {sorted(unknown)}")
    project = cookiecutter(
        str(TEMPLATE),
        no_input=True,
        extra_context=answers,
        output_dir=str(output_dir),
        default_config=True,
    )
    return Path(project)


def package_name(project: Path) -> str:
    (package,) = [p.name for p in (project / "src").iterdir() if (p / "__init__.py").exists()]
    return package


_loaded: list[tuple[str, str]] = []  # (package, src path) currently imported


def unload() -> None:
    while _loaded:
        package, src = _loaded.pop()
        for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
            del sys.modules[name]
        if src in sys.path:
            sys.path.remove(src)


def load(project: Path, *modules: str) -> SimpleNamespace:
    """Import ``<package>.<module>`` for each module from ``project``'s src/."""
    unload()
    package = package_name(project)
    src = str(project / "src")
    sys.path.insert(0, src)
    _loaded.append((package, src))
    importlib.invalidate_caches()
    loaded = SimpleNamespace(
        **{m.replace(".", "_"): importlib.import_module(f"{package}.{m}") for m in modules}
    )
    # A job process is forked from livekit's forkserver, which has frozen all it preloaded
    # (livekit and the plugins: ipc/_preload_freeze.py), so its full collections skip them
    # (2 ms, bench row 7). Freeze here too, or each walks ~95 ms of start-up objects.
    gc.freeze()
    return loaded
