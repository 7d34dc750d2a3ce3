"""``webvtt`` and ``srt``: caption cues that play over the recording.

Cue times are offsets from ``Transcript.origin`` (the recording start, else the session
start). A turn's cue spans livekit's ``started_speaking_at``..``stopped_speaking_at``
metrics when present; otherwise it starts at ``created_at`` and its end is estimated
from the text length. Cues never overlap: a turn ends where the next one starts, and is
shown for at least ``MIN_CUE`` ms (the next turn waits for it if it must).

Long turns are split into cues of at most two lines of at most 42 columns, the speaker
label that SRT puts before a cue's first line included (wide CJK characters count
double), their time shared in proportion to their length. Both formats get the same
cues. Tool calls and handoffs are not spoken, so they get no cue.

Written by hand, not with the ``srt`` or ``webvtt-py`` libraries: a cue is three
streamed lines, and neither library escapes cue text; the tests parse with both.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..model import Entry, Transcript
from .common import INTERRUPTED

LINE_WIDTH = 42
LINES_PER_CUE = 2
CHARS_PER_SECOND = 15.0
MIN_ESTIMATED = 1000  # ms: shortest estimated cue
MIN_CUE = 500  # ms: shortest a turn is shown when the next one starts sooner

_ARROW = re.compile(r"-{2,}>")
_SENTENCE_END = re.compile(r"(?<=[.!?…。\uff01\uff1f])\s+")
# No character below U+1100 is wide: Latin, Greek, Cyrillic... skip the Unicode lookup.
_MAYBE_WIDE = re.compile(r"[^\u0000-\u10ff]")
# SRT has no escapes: what players read as markup (HTML-like tags, ASS override blocks
# and \N-style escapes) becomes a look-alike (single angle quotation marks, curly bracket
# ornaments, reverse solidus operator). It also defuses "-->".
_SRT_LOOK_ALIKES = str.maketrans(
    {"<": "\u2039", ">": "\u203a", "{": "\u2774", "}": "\u2775", "\\": "\u29f5"}
)


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


def wrap(text: str, width: int = LINE_WIDTH, label: int = 0) -> list[str]:
    """Words on lines no wider than ``width``, the first line of each cue (every
    ``LINES_PER_CUE`` lines) ``label`` columns narrower; all whitespace collapses."""
    lines: list[str] = []
    line, line_width = "", 0
    for word in text.split():
        for piece, piece_width in _pieces(word, width - label):
            room = width - label if len(lines) % LINES_PER_CUE == 0 else width
            if line and line_width + 1 + piece_width <= room:
                line, line_width = f"{line} {piece}", line_width + 1 + piece_width
            else:
                if line:
                    lines.append(line)
                line, line_width = piece, piece_width
    return [*lines, line] if line else lines


def cue_lines(text: str, label: int = 0) -> list[list[str]]:
    """``text`` as cues of up to ``LINES_PER_CUE`` lines whose first line leaves ``label``
    columns for the speaker, ending cues at sentence ends where a sentence fits."""
    groups: list[list[str]] = []
    pending = ""
    for sentence in _SENTENCE_END.split(text.strip()):
        joined = f"{pending} {sentence}".strip()
        if len(wrap(joined, label=label)) <= LINES_PER_CUE:
            pending = joined
            continue
        lines = wrap(sentence, label=label)
        if pending and len(lines) <= LINES_PER_CUE:
            groups.append(wrap(pending, label=label))  # the sentence fits a cue of its own
        else:
            lines = wrap(joined, label=label)  # too long for one cue: carry on from ``pending``
        cut = (len(lines) - 1) // LINES_PER_CUE * LINES_PER_CUE
        groups += [lines[i : i + LINES_PER_CUE] for i in range(0, cut, LINES_PER_CUE)]
        pending = " ".join(lines[cut:])
    if pending:
        groups.append(wrap(pending, label=label))
    return groups


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _end(entry: Entry, origin: float, start: int, width: int) -> int:
    """When a turn starting at ``start`` ms ends: its speaking time, else an estimate."""
    if entry.ended_at is not None and _ms(entry.ended_at - origin) > start:
        return _ms(entry.ended_at - origin)
    return start + max(MIN_ESTIMATED, round(width / CHARS_PER_SECOND * 1000))


def _shares(start: int, end: int, weights: list[int]) -> list[int]:
    """``start``, ``end`` and the times between that split the span in proportion to
    ``weights``; every part at least 1 ms (``end - start >= len(weights)``)."""
    total, done, bounds = sum(weights), 0, [start]
    for left, weight in enumerate(weights[:-1], 1):
        done += weight
        bound = start + round((end - start) * done / total)
        bounds.append(min(max(bound, bounds[-1] + 1), end - (len(weights) - left)))
    return [*bounds, end]


def cues(transcript: Transcript, clean: Callable[[str], str] = str) -> Iterator[Cue]:
    """The transcript's turns as timed cues, in order, none overlapping the next;
    ``clean`` is applied to each turn's text before it is wrapped."""
    origin = transcript.origin
    turns = sorted(transcript.turns(), key=lambda e: e.started_at)
    starts = [_ms(e.started_at - origin) for e in turns]
    free_from = 0  # when the previous turn's last cue ends
    for index, entry in enumerate(turns):
        text = clean(f"{entry.text} [{INTERRUPTED}]" if entry.interrupted else entry.text)
        groups = cue_lines(text, label=display_width(f"{entry.speaker}: "))
        start = max(starts[index], free_from)
        end = _end(entry, origin, start, display_width(text))
        if index + 1 < len(turns):
            end = min(end, max(starts[index + 1], start + MIN_CUE))
        end = max(end, start + len(groups))
        weights = [sum(display_width(line) for line in group) for group in groups]
        bounds = _shares(start, end, weights)
        for group, (cue_start, cue_end) in zip(groups, itertools.pairwise(bounds), strict=True):
            yield Cue(cue_start, cue_end, entry.speaker, tuple(group))
        free_from = end


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
    return text.translate(_SRT_LOOK_ALIKES)


def srt_chunks(transcript: Transcript) -> Iterator[str]:
    for number, cue in enumerate(cues(transcript, _srt_clean), 1):
        timing = f"{timestamp(cue.start_ms, ',')} --> {timestamp(cue.end_ms, ',')}"
        text = "\n".join(cue.lines)
        yield f"{number}\n{timing}\n{cue.speaker}: {text}\n\n"
