"""``json``: one pretty JSON document, the session header and the conversation items.

The text is exactly ``json.dumps(document, indent=2)``, produced one item at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..model import Transcript

VERSION = 1
_ENCODER = json.JSONEncoder(ensure_ascii=False, indent=2)


def _nested(value: object, depth: int) -> str:
    """``value`` as it reads ``depth`` levels deep (encoded JSON holds no raw newline)."""
    return _ENCODER.encode(value).replace("\n", "\n" + "  " * depth)


def chunks(transcript: Transcript) -> Iterator[str]:
    session = _nested(transcript.session.to_dict(), 1)
    yield "{" + f'\n  "version": {VERSION},\n  "session": {session},\n  "items": ['
    separator = "\n    "
    for entry in transcript.conversation():
        yield separator + _nested(entry.to_dict(), 2)
        separator = ",\n    "
    yield "]\n}\n" if separator == "\n    " else "\n  ]\n}\n"
