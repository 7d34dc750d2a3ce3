"""``json``: one pretty JSON document, the session header and the conversation items."""

from __future__ import annotations

import json
from typing import Any

from ..model import Transcript

VERSION = 1


def document(transcript: Transcript) -> dict[str, Any]:
    return {
        "version": VERSION,
        "session": transcript.session.to_dict(),
        "items": [entry.to_dict() for entry in transcript.conversation()],
    }


def render(transcript: Transcript) -> str:
    return json.dumps(document(transcript), ensure_ascii=False, indent=2) + "\n"
