"""``markdown``: a title, a metadata table and the turns; renders cleanly on GitHub.

Spoken text is escaped so nothing in it becomes markup (headings, lists, links, HTML,
tables, math); tool arguments and outputs go in fenced code blocks, shown verbatim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from ..model import Entry, Transcript
from .common import INTERRUPTED, entry_clock, session_facts

# CommonMark lets a backslash escape any ASCII punctuation; these can start markup anywhere.
_INLINE = re.compile(r"([\\`*_\[\]<>|~#&$!])")
# These only matter at the start of a line: list items, setext underlines, numbered lists.
_LINE_START = re.compile(r"^([-+=])|^(\d+)([.)])")


def escape(text: str) -> str:
    """One line of plain text, safe as markdown inline content."""
    escaped = _INLINE.sub(r"\\\1", text.strip())
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)


def escape_block(text: str) -> str:
    """Several lines of plain text as one paragraph, keeping the line breaks."""
    lines = [escape(line) for line in text.splitlines() if line.strip()]
    return "\\\n".join(lines)


def code_span(text: str) -> str:
    text = " ".join(text.split()) or "(unnamed)"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str) -> str:
    """A fenced block; JSON is pretty-printed, anything else kept as it is."""
    language = "text"
    try:
        text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        language = "json"
    except ValueError:
        pass
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def turn(transcript: Transcript, entry: Entry) -> str:
    when = entry_clock(transcript, entry)
    if entry.kind == "message":
        note = f", *{INTERRUPTED}*" if entry.interrupted else ""
        return f"**{escape(entry.speaker)}** ({when}{note}): {escape_block(entry.text)}"
    if entry.kind == "function_call":
        return f"**Tool call** {code_span(entry.name)} ({when})\n\n{code_block(entry.arguments)}"
    if entry.kind == "function_call_output":
        label = "Tool error" if entry.is_error else "Tool result"
        return f"**{label}** {code_span(entry.name)} ({when})\n\n{code_block(entry.output)}"
    old = code_span(entry.old_agent) if entry.old_agent else "the start"
    return f"*Handoff* ({when}): {old} → {code_span(entry.new_agent)}"


def chunks(transcript: Transcript) -> Iterator[str]:
    room = transcript.session.room
    yield f"# Transcript: {escape(room)}\n\n" if room.strip() else "# Transcript\n\n"
    yield "| Field | Value |\n| --- | --- |\n"
    for label, value in session_facts(transcript):
        yield f"| {escape(label)} | {escape(value)} |\n"
    yield "\n## Conversation\n"
    for entry in transcript.conversation():
        yield f"\n{turn(transcript, entry)}\n"
