"""HTTP ``Range: bytes=...`` for one range (RFC 9110 section 14); anything else is ignored."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True)
class ByteRange:
    """``first``..``last`` inclusive as asked for, or ``suffix``: the last N bytes."""

    first: int | None
    last: int | None
    suffix: int | None = None

    def resolve(self, size: int) -> tuple[int, int] | None:
        """``(start, stop)`` (stop exclusive) inside ``size`` bytes; None if unsatisfiable."""
        if self.suffix is not None:
            return (max(0, size - self.suffix), size) if self.suffix > 0 and size else None
        assert self.first is not None
        if self.first >= size:
            return None
        stop = size if self.last is None else min(self.last + 1, size)
        return self.first, stop


def parse_range(header: str | None) -> ByteRange | None:
    """One ``bytes=`` range, or None (no header, several ranges, or malformed: send all)."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        return ByteRange(None, None, int(last)) if last else None
    if last and int(last) < int(first):
        return None
    return ByteRange(int(first), int(last) if last else None)
