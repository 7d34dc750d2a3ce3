"""``text``: ``[HH:MM:SS] Speaker: text`` lines for people to read.

Times are offsets from ``Transcript.origin`` (the recording start when there is a
recording), so they match a player's clock; a header line says which moment that is.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Entry, Transcript
from .common import INTERRUPTED, entry_clock, session_facts, shorten

TOOL_TEXT_LIMIT = 200
INDENT = " " * len("[00:00:00] ")


def describe(entry: Entry) -> tuple[str, str]:
    """(label, text) for one entry."""
    if entry.kind == "message":
        label = f"{entry.speaker} ({INTERRUPTED})" if entry.interrupted else entry.speaker
        lines = [line.strip() for line in entry.text.strip().splitlines() if line.strip()]
        return label, f"\n{INDENT}".join(lines)
    if entry.kind == "function_call":
        return "Tool call", f"{entry.name} {shorten(entry.arguments, TOOL_TEXT_LIMIT)}".rstrip()
    if entry.kind == "function_call_output":
        label = "Tool error" if entry.is_error else "Tool result"
        return label, f"{entry.name} -> {shorten(entry.output, TOOL_TEXT_LIMIT)}".rstrip()
    return "Handoff", f"{entry.old_agent or '(start)'} -> {entry.new_agent}"


def chunks(transcript: Transcript) -> Iterator[str]:
    facts = dict(session_facts(transcript))
    yield f"Transcript of room {facts['Room']}\n" if "Room" in facts else "Transcript\n"
    yield "".join(f"{label}: {value}\n" for label, value in facts.items() if label != "Room")
    yield "\n"
    for entry in transcript.conversation():
        label, text = describe(entry)
        yield f"[{entry_clock(transcript, entry)}] {label}: {text}\n"
