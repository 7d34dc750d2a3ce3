"""``webvtt`` and ``srt``: caption cues that play over the recording.

Cue times are offsets from ``Transcript.origin`` (the recording start, else the session
start). A turn's cue spans livekit's ``started_speaking_at``..``stopped_speaking_at``
metrics when present; otherwise it starts at ``created_at`` and its end is estimated
from the text length, cut short so it does not run into the next turn. Long turns are
split into cues of at most two lines of ~42 characters (wide CJK characters count
double), their time shared in proportion to their length. Tool calls and handoffs are
not spoken, so they get no cue.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..model import Entry, Transcript
from .common import INTERRUPTED

LINE_WIDTH = 42
LINES_PER_CUE = 2
CHARS_PER_SECOND = 15.0
MIN_ESTIMATED = 1.0  # shortest estimated cue
MIN_CUE = 0.5  # shortest cue when the next turn starts sooner

_ARROW = re.compile(r"-{2,}>")
_SENTENCE_END = re.compile(r"(?<=[.!?…。\uff01\uff1f])\s+")
# No character below U+1100 is wide: Latin, Greek, Cyrillic... skip the Unicode lookup.
_MAYBE_WIDE = re.compile(r"[^\u0000-\u10ff]")


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    speaker: str
    lines: tuple[str, ...]


def display_width(text: str) -> int:
    """Columns ``text`` takes: wide and full-width characters (CJK) count two."""
    return len(text) + sum(_char_width(c) - 1 for c in _MAYBE_WIDE.findall(text))


def _char_width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def _pieces(word: str, width: int) -> list[tuple[str, int]]:
    """A word cut into (piece, its width) no wider than ``width`` (long URLs, CJK runs)."""
    word_width = display_width(word)
    if word_width <= width:
        return [(word, word_width)]
    pieces, piece, piece_width = [], "", 0
    for char in word:
        char_width = _char_width(char)
        if piece and piece_width + char_width > width:
            pieces.append((piece, piece_width))
            piece, piece_width = "", 0
        piece += char
        piece_width += char_width
    return [*pieces, (piece, piece_width)] if piece else pieces


def wrap(text: str, width: int = LINE_WIDTH) -> list[str]:
    """Words on lines no wider than ``width``; all whitespace (blank lines too) collapses."""
    lines: list[str] = []
    line, line_width = "", 0
    for word in text.split():
        for piece, piece_width in _pieces(word, width):
            if line and line_width + 1 + piece_width <= width:
                line, line_width = f"{line} {piece}", line_width + 1 + piece_width
            else:
                if line:
                    lines.append(line)
                line, line_width = piece, piece_width
    return [*lines, line] if line else lines


def cue_lines(text: str) -> list[list[str]]:
    """``text`` as cues of up to ``LINES_PER_CUE`` lines, ending cues at sentence ends
    where a sentence fits."""
    groups: list[list[str]] = []
    pending = ""
    for sentence in _SENTENCE_END.split(text.strip()):
        joined = f"{pending} {sentence}".strip()
        if len(wrap(joined)) <= LINES_PER_CUE:
            pending = joined
            continue
        lines = wrap(sentence)
        if pending and len(lines) <= LINES_PER_CUE:
            groups.append(wrap(pending))  # the sentence fits a cue of its own
        else:
            lines = wrap(joined)  # too long for one cue anyway: carry on from ``pending``
        cut = (len(lines) - 1) // LINES_PER_CUE * LINES_PER_CUE
        groups += [lines[i : i + LINES_PER_CUE] for i in range(0, cut, LINES_PER_CUE)]
        pending = " ".join(lines[cut:])
    if pending:
        groups.append(wrap(pending))
    return groups


def _span(entry: Entry, origin: float, next_start: float | None, width: int) -> tuple[float, float]:
    """(start, end) in seconds from ``origin`` for one turn."""
    start = max(0.0, entry.started_at - origin)
    if entry.ended_at is not None and entry.ended_at - origin > start:
        return start, entry.ended_at - origin
    end = start + max(MIN_ESTIMATED, width / CHARS_PER_SECOND)
    if next_start is not None and next_start > start:
        end = min(end, max(next_start, start + MIN_CUE))
    return start, end


def cues(transcript: Transcript, clean: Callable[[str], str] = str) -> Iterator[Cue]:
    """The transcript's turns as timed cues, in start order; ``clean`` is applied to each
    turn's text before it is wrapped."""
    origin = transcript.origin
    turns = sorted(transcript.turns(), key=lambda e: e.started_at)
    starts = [max(0.0, e.started_at - origin) for e in turns]
    for index, entry in enumerate(turns):
        text = clean(f"{entry.text} [{INTERRUPTED}]" if entry.interrupted else entry.text)
        following = bisect.bisect_right(starts, starts[index])
        next_start = starts[following] if following < len(starts) else None
        start, end = _span(entry, origin, next_start, display_width(text))
        groups = cue_lines(text)
        weights = [sum(display_width(line) for line in group) for group in groups]
        total, done = sum(weights), 0
        for group, weight in zip(groups, weights, strict=True):
            cue_start = round((start + (end - start) * done / total) * 1000)
            done += weight
            cue_end = max(round((start + (end - start) * done / total) * 1000), cue_start + 1)
            yield Cue(cue_start, cue_end, entry.speaker, tuple(group))


def timestamp(ms: int, separator: str) -> str:
    seconds, ms = divmod(ms, 1000)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{separator}{ms:03d}"


def _vtt_escape(text: str) -> str:
    """WebVTT cue text: ``&``, ``<`` and ``>`` as entities (which also defuses ``-->``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _note(transcript: Transcript) -> str:
    session = transcript.session
    about = ", ".join(
        f"{label} {value}"
        for label, value in (("room", session.room), ("job", session.job_id))
        if value
    )
    lines = [f"Transcript of {about}" if about else "Transcript"]
    lines.append(f"Times are offsets from {transcript.describe_origin()}")
    return "\n".join(_ARROW.sub("->", " ".join(line.split())) for line in lines)


def webvtt_chunks(transcript: Transcript) -> Iterator[str]:
    yield f"WEBVTT\n\nNOTE\n{_note(transcript)}\n"
    for cue in cues(transcript):
        timing = f"{timestamp(cue.start_ms, '.')} --> {timestamp(cue.end_ms, '.')}"
        text = "\n".join(_vtt_escape(line) for line in cue.lines)
        yield f"\n{timing}\n<v {_vtt_escape(cue.speaker)}>{text}\n"


def _srt_clean(text: str) -> str:
    """SRT has no escapes: an arrow that would read as a timing line becomes ``->``."""
    return _ARROW.sub("->", text)


def srt_chunks(transcript: Transcript) -> Iterator[str]:
    for number, cue in enumerate(cues(transcript, _srt_clean), 1):
        timing = f"{timestamp(cue.start_ms, ',')} --> {timestamp(cue.end_ms, ',')}"
        text = "\n".join(cue.lines)
        yield f"{number}\n{timing}\n{cue.speaker}: {text}\n\n"
