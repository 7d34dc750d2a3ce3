"""``markdown``: a title, a metadata table and the turns; renders cleanly on GitHub.

Spoken text is escaped so nothing in it becomes markup (headings, lists, links, HTML,
tables, math), and only where CommonMark or GFM would read markup, so the raw file stays
readable (``Thanks, bye!``, ``R&D``, ``snake_case``). Tool arguments and outputs go in
fenced code blocks, shown verbatim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from ..model import Entry, Transcript
from .common import INTERRUPTED, entry_clock, session_facts

# Inline markup: code, emphasis, strikethrough, links, autolinks and HTML; a backslash
# before punctuation or at the end (a hard break); an entity; "_" but inside a word.
_INLINE = re.compile(r"[`*~\[<]|\\(?=[!-/:-@\[-`{-~]|$)|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])")
# What starts a block at the start of a line (a paragraph's next line included): an ATX
# heading, a block quote, a list item, a thematic break or a setext underline.
_LINE_START = re.compile(r"^(?:#{1,6}(?=[ \t]|$)|>|[-+](?=[ \t]|$)|-+[ \t]*$|=+[ \t]*$)")
_ORDERED = re.compile(r"^(\d{1,9})(?=[.)](?:[ \t]|$))")
# A heading's closing run of "#".
_CLOSING_HASHES = re.compile(r"(?<=[ \t])#+$")


def escape(text: str, *, pipes: bool = True) -> str:
    """One line of plain text, safe as inline content (not at a line start); ``|`` is
    escaped unless ``pipes`` is off (where no table can start: a heading)."""
    text = _INLINE.sub(r"\\\g<0>", text.strip())
    if pipes:
        text = text.replace("|", "\\|")
    if text.count("$") > 1:  # GitHub reads $...$ as math
        text = text.replace("$", "\\$")
    return text


def _escape_line(text: str) -> str:
    text = _LINE_START.sub(r"\\\g<0>", escape(text))
    return _ORDERED.sub(r"\g<1>\\", text)


def escape_block(text: str) -> str:
    """Several lines of plain text as one paragraph, keeping the line breaks."""
    lines = [_escape_line(line) for line in text.splitlines() if line.strip()]
    return "\\\n".join(lines)


def heading(text: str) -> str:
    """``text`` on one line, as the content of an ATX heading."""
    return _CLOSING_HASHES.sub(r"\\\g<0>", escape(" ".join(text.split()), pipes=False))


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
    yield f"# Transcript: {heading(room)}\n\n" if room.strip() else "# Transcript\n\n"
    yield "| Field | Value |\n| --- | --- |\n"
    for label, value in session_facts(transcript):
        yield f"| {escape(label)} | {escape(value)} |\n"
    yield "\n## Conversation\n"
    for entry in transcript.conversation():
        yield f"\n{turn(transcript, entry)}\n"
