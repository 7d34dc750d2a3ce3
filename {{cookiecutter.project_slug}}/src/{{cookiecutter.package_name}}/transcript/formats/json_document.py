"""``json``: one pretty JSON document, the session header and the conversation items."""

from __future__ import annotations

import json
from typing import Any

from ..model import Transcript
from ..pacing import paced

VERSION = 1


def document(transcript: Transcript) -> dict[str, Any]:
    return {
        "version": VERSION,
        "session": transcript.session.to_dict(),
        "items": [entry.to_dict() for entry in paced(transcript.conversation())],
    }


def render(transcript: Transcript) -> str:
    encoder = json.JSONEncoder(ensure_ascii=False, indent=2)  # as json.dumps(..., indent=2)
    return "".join(paced(encoder.iterencode(document(transcript)))) + "\n"
