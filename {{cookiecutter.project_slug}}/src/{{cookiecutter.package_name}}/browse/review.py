"""What the review page shows of one transcript: header facts, turns and latencies.

Pure functions of a ``Transcript``: no HTML here (``page.py`` escapes and lays it out).
Turn times are seconds from ``Transcript.origin``, the recording start when there is a
recording, so they are positions in the audio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..transcript.formats.common import clock, identity_facts, one_line_facts
from ..transcript.model import Entry, Transcript
from .readers import UNKNOWN_ORIGIN

# Which side of a stereo recording is who, by recording kind (see recording/).
CHANNEL_MAPS = {
    "agent_audio": "left: user, right: agent",
    "egress_audio": "left: agent, right: other participants",
    "egress_video": "mixed (one audio track)",
}
# The per-turn latencies livekit keeps in message metrics: (key, label, on which role).
LATENCIES = (
    ("e2e_latency", "end of utterance to first audio", "assistant"),
    ("llm_node_ttft", "LLM time to first token", "assistant"),
    ("tts_node_ttfb", "TTS time to first byte", "assistant"),
    ("transcription_delay", "transcription delay", "user"),
)


@dataclass
class Turn:
    kind: str  # message, function_call, function_call_output, agent_handoff
    speaker: str
    role: str
    text: str
    offset: float  # seconds from the origin (negative: before the recording started)
    interrupted: bool = False
    latencies: dict[str, float] = field(default_factory=dict)
    name: str = ""
    body: str = ""  # a tool call's arguments or a tool's output
    is_error: bool = False

    @property
    def clock(self) -> str:
        return clock(self.offset)

    @property
    def is_message(self) -> bool:
        return self.kind == "message"


@dataclass
class LatencyRow:
    """One agent reply: its number among the turns and its latencies in seconds."""

    turn: int
    values: dict[str, float]


@dataclass
class Review:
    title: str
    facts: list[tuple[str, str]]
    turns: list[Turn]
    latencies: list[LatencyRow]
    recording: dict[str, Any]


def _seconds(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _turn(transcript: Transcript, entry: Entry) -> Turn:
    turn = Turn(
        kind=entry.kind,
        speaker=entry.speaker,
        role=entry.role,
        text=entry.text,
        offset=transcript.offset(entry.started_at),
        interrupted=entry.interrupted,
        name=entry.name,
    )
    if entry.kind == "message":
        for key, _, role in LATENCIES:
            value = _seconds(entry.metrics.get(key))
            if role == entry.role and value is not None:
                turn.latencies[key] = value
    elif entry.kind == "function_call":
        turn.body = entry.arguments
    elif entry.kind == "function_call_output":
        turn.body, turn.is_error = entry.output, entry.is_error
    else:
        turn.text = f"{entry.old_agent or '(start)'} -> {entry.new_agent}"
    return turn


def latency_rows(turns: list[Turn]) -> list[LatencyRow]:
    """Each agent reply's latencies, with the transcription delay of the user turn before it."""
    rows, user_delay = [], None
    number = 0
    for turn in turns:
        if not turn.is_message:
            continue
        number += 1
        if turn.role == "user":
            user_delay = turn.latencies.get("transcription_delay")
            continue
        values = dict(turn.latencies)
        if user_delay is not None:
            values["transcription_delay"] = user_delay
        user_delay = None
        if values:
            rows.append(LatencyRow(number, values))
    return rows


def _times(transcript: Transcript) -> str:
    if transcript.origin == UNKNOWN_ORIGIN:  # srt says nothing of when it started
        return "offsets from the start of the recording"
    return f"offsets from {transcript.describe_origin()}"


def facts(transcript: Transcript) -> list[tuple[str, str]]:
    recording = transcript.session.recording or {}
    kind = str(recording.get("kind") or "")
    return one_line_facts([
        *identity_facts(transcript.session),
        ("Recording", str(recording.get("status") or ("none" if not recording else ""))),
        ("Recording kind", kind),
        ("Recording format", str(recording.get("format") or "")),
        ("Channels", str(recording.get("channels") or CHANNEL_MAPS.get(kind, ""))),
        ("Recording error", str(recording.get("error") or "")),
        ("Times", _times(transcript)),
    ])  # fmt: skip


def build(transcript: Transcript) -> Review:
    turns = [_turn(transcript, e) for e in transcript.conversation()]
    room = transcript.session.room
    return Review(
        title=f"Session in {room}" if room else "Session",
        facts=facts(transcript),
        turns=turns,
        latencies=latency_rows(turns),
        recording=dict(transcript.session.recording or {}),
    )
