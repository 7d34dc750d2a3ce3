"""The transcript data model: what every format renders.

A transcript is a session header plus ordered entries. Entries are built from
livekit chat items, either live objects or their ``to_dict()`` form, so a saved
history can be re-rendered later. Every string assigned to a field is cleaned on the way
in (``sanitize.clean``), so nothing a format writes can hold control characters, bidi
overrides or unencodable surrogates.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from .sanitize import clean

logger = logging.getLogger("{{ cookiecutter.package_name }}.transcript")

SPEAKERS = {"user": "User", "assistant": "Agent"}

# The Entry fields each kind of live livekit chat item fills in (besides kind, time and id).
ITEM_FIELDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "message": lambda item: {
        "role": item.role,
        "text": item.text_content or "",
        "interrupted": item.interrupted,
        "metrics": dict(item.metrics or {}),
    },
    "function_call": lambda item: {
        "name": item.name,
        "call_id": item.call_id,
        "arguments": item.arguments,
    },
    "function_call_output": lambda item: {
        "name": item.name,
        "call_id": item.call_id,
        "output": item.output,
        "is_error": item.is_error,
    },
    "agent_handoff": lambda item: {"old_agent": item.old_agent_id, "new_agent": item.new_agent_id},
}
KINDS = tuple(ITEM_FIELDS)


def iso_utc(ts: float | None) -> str | None:
    """Epoch seconds as ISO 8601 UTC (``2026-11-24T10:00:00.123Z``)."""
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: Any) -> float | None:
    """Epoch seconds from an epoch number or an ISO 8601 string."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        # a hand-edited file can hold NaN, 1e400 or a year past 9999: refuse it here, not
        # with a traceback when the time is printed
        if not math.isfinite(seconds) or not -62135596800 <= seconds < 253402300800:
            raise ValueError(f"not a time: {value!r}")
        return seconds
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class _Clean:
    """Cleans every value assigned to a field: at construction and on any later change."""

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, clean(value))


@dataclass
class Entry(_Clean):
    """One conversation item: a message, a tool call, a tool output or a handoff."""

    kind: str
    created_at: float
    id: str = ""
    role: str = ""
    text: str = ""
    interrupted: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    call_id: str = ""
    arguments: str = ""
    output: str = ""
    is_error: bool = False
    old_agent: str | None = None
    new_agent: str = ""

    @property
    def speaker(self) -> str:
        if self.kind == "message":
            return SPEAKERS.get(self.role, self.role.capitalize())
        if self.kind == "agent_handoff":
            return "Handoff"
        return "Tool"

    def _metric_time(self, name: str) -> float | None:
        value = self.metrics.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return float(value)
        return None

    @property
    def started_at(self) -> float:
        """When speech started (livekit metrics), else when the item was created."""
        return self._metric_time("started_speaking_at") or self.created_at

    @property
    def ended_at(self) -> float | None:
        """When speech stopped (livekit metrics), if known."""
        return self._metric_time("stopped_speaking_at")

    @property
    def is_empty(self) -> bool:
        """A message with nothing said in it (every format skips these)."""
        return self.kind == "message" and not self.text.strip()

    @property
    def is_turn(self) -> bool:
        """A user or agent message with something said in it."""
        return self.kind == "message" and self.role in SPEAKERS and not self.is_empty

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.kind,
            "id": self.id,
            "created_at": iso_utc(self.created_at),
        }
        if self.kind == "message":
            out |= {"role": self.role, "text": self.text, "interrupted": self.interrupted}
            if self.metrics:
                out["metrics"] = self.metrics
        elif self.kind == "function_call":
            out |= {"name": self.name, "call_id": self.call_id, "arguments": self.arguments}
        elif self.kind == "function_call_output":
            out |= {"name": self.name, "call_id": self.call_id, "output": self.output}
            out["is_error"] = self.is_error
        elif self.kind == "agent_handoff":
            out |= {"old_agent": self.old_agent, "new_agent": self.new_agent}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry | None:
        """Build from a livekit item dict or our own ``to_dict()``; None for items
        that are not part of the conversation (instructions, config updates)."""
        kind = data.get("type", "message")
        if kind not in KINDS:
            return None
        role = _as_text(data.get("role"))
        if kind == "message" and role not in SPEAKERS:
            return None
        text = data.get("text", data.get("content"))
        if isinstance(text, list):  # livekit's content: text parts, images, audio
            text = "\n".join(part for part in text if isinstance(part, str))
        metrics = data.get("metrics") or {}
        return cls(
            kind=kind,
            created_at=parse_time(data.get("created_at")) or 0.0,
            id=str(data.get("id", "")),
            role=role,
            text=_as_text(text),
            interrupted=bool(data.get("interrupted", False)),
            metrics=dict(metrics) if isinstance(metrics, dict) else {},
            name=_as_text(data.get("name")),
            call_id=_as_text(data.get("call_id")),
            arguments=_as_text(data.get("arguments")),
            output=_as_text(data.get("output")),
            is_error=bool(data.get("is_error", False)),
            old_agent=_as_text(data.get("old_agent", data.get("old_agent_id"))) or None,
            new_agent=_as_text(data.get("new_agent", data.get("new_agent_id"))),
        )

    @classmethod
    def from_item(cls, item: Any) -> Entry | None:
        """Build from a live livekit ``ChatItem`` without serialising all of it."""
        read_fields = ITEM_FIELDS.get(item.type)
        if read_fields is None or (item.type == "message" and item.role not in SPEAKERS):
            return None
        return cls(kind=item.type, created_at=item.created_at, id=item.id, **read_fields(item))


@dataclass
class SessionInfo(_Clean):
    """The transcript header: who, when, with which models, and the recording."""

    room: str = ""
    room_id: str = ""
    job_id: str = ""
    agent_name: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    close_reason: str | None = None
    # why the session failed (did not start, or closed on an error), if it did
    error: str | None = None
    models: dict[str, str] = field(default_factory=dict)
    recording: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["started_at"] = iso_utc(self.started_at)
        out["ended_at"] = iso_utc(self.ended_at)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionInfo:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        for name in ("room", "room_id", "job_id", "agent_name"):
            known[name] = _as_text(data.get(name))
        known["started_at"] = parse_time(data.get("started_at"))
        known["ended_at"] = parse_time(data.get("ended_at"))
        if not isinstance(known.get("models"), dict):
            known["models"] = {}
        if not isinstance(known.get("recording"), dict):
            known["recording"] = None
        return cls(**known)

    @property
    def recording_started_at(self) -> float | None:
        return parse_time((self.recording or {}).get("started_at"))


def _session_from_report(report: dict[str, Any]) -> dict[str, Any]:
    """Our header fields from a livekit ``SessionReport.to_dict()``."""
    session = {k: report[k] for k in ("room", "room_id", "job_id", "agent_name") if report.get(k)}
    if report.get("audio_recording_started_at"):
        session["recording"] = {
            "kind": "agent_audio",
            "started_at": iso_utc(report["audio_recording_started_at"]),
        }
    return session


@dataclass
class Transcript:
    session: SessionInfo
    entries: list[Entry]

    def _origin(self) -> tuple[float, str]:
        candidates = [
            (self.session.recording_started_at, "the recording start"),
            (self.session.started_at, "the session start"),
            *((e.created_at, "the first item") for e in self.entries[:1]),
        ]
        return next(((t, label) for t, label in candidates if t), (0.0, "the epoch"))

    @property
    def origin(self) -> float:
        """Time zero for captions: the recording start, else the session start."""
        return self._origin()[0]

    def describe_origin(self) -> str:
        """Which moment ``origin`` is, for a header line: "the recording start (...Z)"."""
        origin, label = self._origin()
        return f"{label} ({iso_utc(origin)})"

    def offset(self, ts: float) -> float:
        """Seconds from ``origin`` (negative for items before it)."""
        return ts - self.origin

    def turns(self) -> list[Entry]:
        return [e for e in self.entries if e.is_turn]

    def conversation(self) -> list[Entry]:
        """Every entry a format shows: all but empty messages."""
        return [e for e in self.entries if not e.is_empty]

    def to_dict(self) -> dict[str, Any]:
        return {"session": self.session.to_dict(), "items": [e.to_dict() for e in self.entries]}

    @classmethod
    def from_document(cls, data: Any) -> Transcript:
        """Read our ``json`` document, a raw ``session.history.to_dict()`` (or its item
        list), or a livekit session report."""
        if isinstance(data, list):
            data = {"items": data}
        if not isinstance(data, dict):
            raise ValueError("not a transcript: expected a JSON object")
        if isinstance(data.get("chat_history"), dict):
            items = data["chat_history"].get("items", [])
            data = {"session": _session_from_report(data), "items": items}
        if "items" not in data and "session" not in data:
            raise ValueError("not a transcript: no 'items' or 'session' key")
        session = data.get("session") or {}
        items = data.get("items") or []
        if not isinstance(session, dict) or not isinstance(items, list):
            raise ValueError("not a transcript: 'session' must be an object, 'items' a list")
        for number, item in enumerate(items, 1):
            if not isinstance(item, dict):
                raise ValueError(f"not a transcript: item {number} is not an object")
        entries = [e for e in map(Entry.from_dict, items) if e is not None]
        entries.sort(key=lambda e: e.created_at)
        return cls(session=SessionInfo.from_dict(session), entries=entries)

    @classmethod
    def from_jsonl(cls, lines: list[str]) -> Transcript:
        """Read our ``jsonl`` journal. A missing footer is fine, and so is a torn last
        line (a process killed mid-append, a full disk): it is skipped with a warning."""
        session: dict[str, Any] = {}
        items: list[dict[str, Any]] = []
        numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
        for number, line in numbered:
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                # torn if it is the last line, and not the only one (then it is no journal)
                if number == numbered[-1][0] and len(numbered) > 1:
                    logger.warning("line %d, the last, is torn (%s): skipped", number, error.msg)
                    break
                raise ValueError(f"line {number} is not JSON: {error.msg}") from None
            if not isinstance(record, dict):
                raise ValueError(f"line {number} is not a JSON object")
            if record.get("type") in ("session_start", "session_end"):
                header = record.get("session") or {}
                if not isinstance(header, dict):
                    raise ValueError(f"line {number}: 'session' is not a JSON object")
                session |= {k: v for k, v in header.items() if v is not None}
            else:
                items.append(record)
        return cls.from_document({"session": session, "items": items})

    @classmethod
    def from_text(cls, text: str) -> Transcript:
        """Read any saved transcript we can parse: json document, raw history or jsonl.

        jsonl is split at newlines only: str.splitlines would also cut at U+2028 and
        others, which JSON strings hold unescaped."""
        stripped = text.strip()
        if not stripped:
            raise ValueError("empty file")
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            return cls.from_jsonl(stripped.split("\n"))
        if isinstance(data, dict) and data.get("type") == "session_start":
            return cls.from_jsonl(stripped.split("\n"))
        return cls.from_document(data)
