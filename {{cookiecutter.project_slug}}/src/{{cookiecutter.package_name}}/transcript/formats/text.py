"""``text``: ``[HH:MM:SS] Speaker: text`` lines for people to read.

Times are offsets from ``Transcript.origin`` (the recording start when there is a
recording), so they match a player's clock; a header line says which moment that is.
"""

from __future__ import annotations

from ..model import Entry, Transcript
from ..pacing import paced
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


def render(transcript: Transcript) -> str:
    facts = dict(session_facts(transcript))
    title = f"Transcript of room {facts['Room']}" if "Room" in facts else "Transcript"
    lines = [title]
    lines += [f"{label}: {value}" for label, value in facts.items() if label != "Room"]
    lines.append("")
    for entry in paced(transcript.conversation()):
        label, text = describe(entry)
        lines.append(f"[{entry_clock(transcript, entry)}] {label}: {text}")
    return "\n".join(lines) + "\n"
