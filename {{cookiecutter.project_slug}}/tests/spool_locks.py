"""Waiting out spool locks: an upload that timed out may still hold its file for a while."""

from __future__ import annotations

from pathlib import Path

from {{ cookiecutter.package_name }}.storage import locks


def wait_until_unlocked(path: Path, timeout: float = 30) -> None:
    """Wait until no upload holds ``path``."""
    with open(path, "rb") as handle:
        if not locks.lock(handle.fileno(), timeout=timeout):
            raise TimeoutError(f"{path} is still locked after {timeout:g}s")
        locks.unlock(handle.fileno())
