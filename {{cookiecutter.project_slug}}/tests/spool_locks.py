"""Waiting out spool locks: an upload that timed out may still hold its file for a while."""

from __future__ import annotations

import fcntl
import time
from pathlib import Path


def wait_until_unlocked(path: Path, timeout: float = 30) -> None:
    """Wait until no upload holds ``path`` (``asyncio.wait_for`` gave up, the thread has not)."""
    deadline = time.monotonic() + timeout
    while True:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{path} is still locked after {timeout:g}s") from None
        time.sleep(0.05)
