"""Safe text: what the transcript model holds, so every format can write it.

Speech-to-text output, tool results and room names are untrusted. ``clean`` makes a
string safe for every format at the point it enters the model:

- control characters (C0 except tab and newline, DEL, C1) become U+FFFD; a carriage
  return (``\\r\\n`` or alone) becomes a newline;
- lone surrogates (``os.fsdecode(b"\\xff")``, an emoji cut in half) become U+FFFD, and a
  surrogate pair split into two code points is joined again;
- bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which can
  reorder what a reader sees, become U+FFFD; the marks LRM, RLM and ALM stay.

Every format gets the same clean text, json and jsonl included: surrogates cannot be
written as UTF-8 at all, no speech holds a control or override character, and a
verbatim json transcript would hand them back to every later reader (a terminal, a
re-rendered caption file). U+FFFD rather than deletion keeps a visible mark where
something was.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with nothing any format cannot show safely (see the module docstring)."""
    if not _UNSAFE.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _SURROGATE.search(text):  # pairs joined, lone ones replaced
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _UNSAFE.sub(REPLACEMENT, text)


def clean(value: Any) -> Any:
    """``value`` with ``clean_text`` applied to every string in it (dict keys too)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(item) for item in value]
    return value
