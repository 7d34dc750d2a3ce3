"""Small helpers the human-readable formats share."""

from __future__ import annotations

import math

from ..model import Entry, SessionInfo, Transcript, iso_utc

INTERRUPTED = "interrupted"


def clock(seconds: float) -> str:
    """An offset as ``HH:MM:SS`` (``-HH:MM:SS`` before the origin)."""
    whole = math.floor(seconds)
    sign = "-" if whole < 0 else ""
    whole = abs(whole)
    return f"{sign}{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def entry_clock(transcript: Transcript, entry: Entry) -> str:
    return clock(transcript.offset(entry.started_at))


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with a note of what was cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return f"{flat[:limit]}… (+{len(flat) - limit} chars)"


def identity_facts(session: SessionInfo) -> list[tuple[str, str]]:
    """The session's room, job, times and models: the header's first rows, in every
    format and on the review page."""
    duration = ""
    if session.started_at and session.ended_at and session.ended_at >= session.started_at:
        duration = clock(session.ended_at - session.started_at)
    return [
        ("Room", session.room),
        ("Room ID", session.room_id),
        ("Job ID", session.job_id),
        ("Agent", session.agent_name),
        ("Started", iso_utc(session.started_at) or ""),
        ("Ended", iso_utc(session.ended_at) or ""),
        ("Duration", duration),
        ("Close reason", session.close_reason or ""),
        *((f"{kind.upper()} model", str(name)) for kind, name in session.models.items()),
    ]


def one_line_facts(facts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each value on one line; empty values left out."""
    return [(label, " ".join(str(value).split())) for label, value in facts if value]


def session_facts(transcript: Transcript) -> list[tuple[str, str]]:
    """The header as (label, value) pairs, empty values left out."""
    recording = transcript.session.recording or {}
    return one_line_facts([
        *identity_facts(transcript.session),
        ("Recording", "; ".join(f"{k}: {v}" for k, v in recording.items() if v is not None)),
        ("Times", f"offsets from {transcript.describe_origin()}"),
    ])  # fmt: skip
