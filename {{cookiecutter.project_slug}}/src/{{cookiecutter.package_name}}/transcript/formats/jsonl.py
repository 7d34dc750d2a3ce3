"""``jsonl``: the same lines the live journal (``capture.py``) appends.

First line ``{"type": "session_start", "session": {...}}`` with what is known when the
session starts, then one line per item, then ``{"type": "session_end", ...}`` with the
full header. ``Transcript.from_jsonl`` reads it back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..model import Transcript

END_ONLY = ("ended_at", "close_reason")


def records(transcript: Transcript) -> Iterator[dict[str, Any]]:
    header = transcript.session.to_dict()
    yield {"type": "session_start", "session": header | dict.fromkeys(END_ONLY)}
    for entry in transcript.conversation():
        yield entry.to_dict()
    yield {"type": "session_end", "session": header}


def chunks(transcript: Transcript) -> Iterator[str]:
    for record in records(transcript):
        yield json.dumps(record, ensure_ascii=False) + "\n"
