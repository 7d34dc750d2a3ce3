"""Let the event loop in while a worker thread renders or masks a long transcript.

CPython hands the GIL to a waiting thread only after ``sys.getswitchinterval()``
(5 ms): a render that computes for a second would make the loop wait up to 5 ms at
every turn it takes. ``paced`` gives the GIL up once a millisecond instead, at a cost
of one clock read per item.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

PAUSE_EVERY = 0.001  # seconds of work between two hand-overs


def paced(items: Iterable[T], every: float = PAUSE_EVERY) -> Iterator[T]:
    """``items`` unchanged; every ``every`` seconds, a zero sleep releases the GIL."""
    clock = time.perf_counter
    deadline = clock() + every
    for item in items:
        yield item
        if clock() >= deadline:
            time.sleep(0)
            deadline = clock() + every
