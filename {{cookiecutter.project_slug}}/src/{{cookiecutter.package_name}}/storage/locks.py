"""Advisory locks on open files, through ``filelock`` (flock on Unix, LockFileEx on Windows).

The spool locks a file while it is written or uploaded, and the transcript journal while
its session lives, so a concurrent ``flush`` skips it. The lock is on the file's own
descriptor: it goes with the process, so a killed process never leaves a file locked.
"""

from __future__ import annotations

import time

from filelock import lock_descriptor, unlock_descriptor


def lock(fd: int, *, wait: bool = True, timeout: float | None = None) -> bool:
    """Lock ``fd`` exclusively. Without ``wait`` (or past ``timeout`` s) return False if busy."""
    if not wait:
        return lock_descriptor(fd, blocking=False)
    if timeout is None:
        return lock_descriptor(fd)
    deadline = time.monotonic() + timeout
    while not lock_descriptor(fd, blocking=False):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def unlock(fd: int) -> None:
    unlock_descriptor(fd)
