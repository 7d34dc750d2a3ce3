"""Read back a saved transcript in any of the six formats, for the review page.

``json`` and ``jsonl`` hold everything (``Transcript.from_text``). The human-readable
formats keep less: captions (``webvtt``, ``srt``) keep who spoke and when, ``text`` and
``markdown`` also keep the header and tool calls; none keeps the latency metrics. These
readers recover what each one keeps; a line they do not recognise is skipped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from ..transcript.model import Entry, SessionInfo, Transcript, iso_utc, parse_time

_CUE_TIME = re.compile(r"(\d+):(\d\d):(\d\d)[.,](\d{3})")
_CLOCK = re.compile(r"(-?)(\d+):(\d\d):(\d\d)")
_ORIGIN = re.compile(r"offsets from (the [a-z ]+?) \((\d{4}-\d\d-\d\dT[^)]*)\)")
_TEXT_LINE = re.compile(r"\[(-?\d+:\d\d:\d\d)\] ([^:]+): ?(.*)")
_MD_TURN = re.compile(r"\*\*(.+?)\*\* \((-?\d+:\d\d:\d\d)(, \*interrupted\*)?\): ?(.*)")
_MD_TOOL = re.compile(
    r"\*\*(Tool call|Tool result|Tool error)\*\* `+ ?(.*?) ?`+ \((-?\d+:\d\d:\d\d)\)"
)
# CommonMark escapes: a backslash before ASCII punctuation (anywhere else it is literal).
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
INTERRUPTED_SUFFIX = " [interrupted]"
ROLES = {"User": "user", "Agent": "assistant"}
# Time zero when a file does not say what it is (srt): any non-zero moment will do.
UNKNOWN_ORIGIN = 86400.0


def _clock(text: str) -> float:
    sign, hours, minutes, seconds = _CLOCK.fullmatch(text).groups()  # type: ignore[union-attr]
    value = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return -value if sign else value


def _cue_seconds(match: re.Match[str]) -> float:
    hours, minutes, seconds, ms = (int(g) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds + ms / 1000


def _origin(session: SessionInfo, text: str) -> float:
    """Time zero from a "Times are offsets from the recording start (ISO)" line."""
    match = _ORIGIN.search(text)
    moment = parse_time(match[2]) if match else None
    if not moment:
        session.recording = session.recording or {"started_at": iso_utc(UNKNOWN_ORIGIN)}
        return UNKNOWN_ORIGIN
    if match and "recording" in match[1]:
        session.recording = (session.recording or {}) | {"started_at": match[2]}
    elif session.started_at is None:
        session.started_at = moment
    return moment


def _message(speaker: str, text: str, start: float, end: float | None = None) -> Entry:
    interrupted = text.endswith(INTERRUPTED_SUFFIX)
    text = text.removesuffix(INTERRUPTED_SUFFIX)
    metrics = {"started_speaking_at": start} | ({"stopped_speaking_at": end} if end else {})
    role = ROLES.get(speaker, "user")
    return Entry("message", start, role=role, text=text, interrupted=interrupted, metrics=metrics)


def _captions(text: str, vtt: bool) -> Transcript:
    session = SessionInfo()
    origin = _origin(session, text if vtt else "")
    entries: list[Entry] = []
    last_end = None
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = block.strip("\n").split("\n")
        timing = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if timing is None:
            continue
        times = list(_CUE_TIME.finditer(lines[timing]))
        if len(times) != 2:
            continue
        start, end = (_cue_seconds(m) for m in times)
        body = " ".join(lines[timing + 1 :]).strip()
        if vtt:
            voice = re.match(r"<v ([^>]*)>", body)
            speaker = html.unescape(voice[1]) if voice else ""
            body = html.unescape(re.sub(r"<[^>]*>", "", body))
        else:
            speaker, _, body = body.partition(": ") if ": " in body else ("", "", body)
        previous = entries[-1] if entries else None
        if (
            previous is not None
            and previous.role == ROLES.get(speaker, "user")
            and last_end == start
        ):
            previous.text = f"{previous.text} {body}"  # a long turn split into several cues
            previous.metrics["stopped_speaking_at"] = origin + end
        else:
            entries.append(_message(speaker, body, origin + start, origin + end))
        last_end = end
    for entry in entries:
        if entry.text.endswith(INTERRUPTED_SUFFIX):
            entry.interrupted, entry.text = True, entry.text.removesuffix(INTERRUPTED_SUFFIX)
    return Transcript(session, entries)


def _header(session: SessionInfo, label: str, value: str) -> None:
    """One header fact (as ``formats/common.session_facts`` writes it) into ``session``."""
    fields = {"Room": "room", "Room ID": "room_id", "Job ID": "job_id", "Agent": "agent_name"}
    if label in fields:
        setattr(session, fields[label], value)
    elif label in ("Started", "Ended"):
        setattr(session, "started_at" if label == "Started" else "ended_at", parse_time(value))
    elif label == "Close reason":
        session.close_reason = value
    elif label.endswith(" model"):
        session.models[label.removesuffix(" model").lower()] = value
    elif label == "Recording":
        pairs = (part.partition(": ") for part in value.split("; "))
        session.recording = {k: v for k, _, v in pairs if k}


def _tool(label: str, at: float, name: str, body: str) -> Entry:
    if label == "Tool call":
        return Entry("function_call", at, name=name, arguments=body)
    return Entry("function_call_output", at, name=name, output=body, is_error=label == "Tool error")


def _text(text: str) -> Transcript:
    session = SessionInfo()
    head, _, rest = text.partition("\n\n")
    lines = head.splitlines()
    if lines and lines[0].startswith("Transcript of room "):
        session.room = lines[0].removeprefix("Transcript of room ")
    for line in lines[1:]:
        label, _, value = line.partition(": ")
        _header(session, label, value)
    origin = _origin(session, head)
    entries: list[Entry] = []
    for line in rest.splitlines():
        match = _TEXT_LINE.fullmatch(line)
        if match is None:
            if entries and line.startswith(" ") and entries[-1].kind == "message":
                entries[-1].text += "\n" + line.strip()
            continue
        at = origin + _clock(match[1])
        label, body = match[2], match[3]
        speaker = label.removesuffix(" (interrupted)")
        if label.startswith("Tool "):
            name, _, rest_body = body.partition(" -> " if label != "Tool call" else " ")
            entries.append(_tool(label, at, name, rest_body))
        elif label != "Handoff":
            entry = _message(speaker, body, at)
            entry.interrupted = label.endswith("(interrupted)")
            entries.append(entry)
    return Transcript(session, entries)


def _unescape(text: str) -> str:
    return _MD_ESCAPE.sub(r"\1", text)


def _markdown(text: str) -> Transcript:
    session = SessionInfo()
    lines = text.splitlines()
    for line in lines:
        if line.startswith("| ") and not line.startswith(("| Field", "| ---")):
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            if len(cells) == 2:
                _header(session, _unescape(cells[0].strip()), _unescape(cells[1].strip()))
    origin = _origin(session, "\n".join(_unescape(line) for line in lines if line.startswith("|")))
    entries: list[Entry] = []
    fence: list[str] | None = None
    for line in lines:
        if fence is not None:
            if re.fullmatch(r"`{3,}", line):
                body = "\n".join(fence[1:])
                if entries[-1].kind == "function_call":
                    entries[-1].arguments = body
                else:
                    entries[-1].output = body
                fence = None
            else:
                fence.append(line)
            continue
        tool = _MD_TOOL.fullmatch(line)
        if tool:
            entries.append(_tool(tool[1], origin + _clock(tool[3]), tool[2], ""))
            continue
        if line.startswith("```") and entries and entries[-1].kind != "message":
            fence = [line]
            continue
        turn = _MD_TURN.fullmatch(line)
        if turn:
            body = "\n".join(_unescape(part) for part in turn[4].split("\\\n"))
            entry = _message(_unescape(turn[1]), body, origin + _clock(turn[2]))
            entry.interrupted = bool(turn[3])
            entries.append(entry)
        elif entries and entries[-1].kind == "message" and line and not line.startswith(("*", "#")):
            entries[-1].text += "\n" + _unescape(line)
    return Transcript(session, entries)


READERS: dict[str, Callable[[str], Transcript]] = {
    "json": Transcript.from_text,
    "jsonl": Transcript.from_text,
    "vtt": lambda text: _captions(text, vtt=True),
    "srt": lambda text: _captions(text, vtt=False),
    "txt": _text,
    "md": _markdown,
}


def read_transcript(name: str, text: str) -> Transcript:
    """The transcript in file ``name`` (its extension says the format)."""
    suffix = name.rsplit(".", 1)[-1].lower()
    if suffix not in READERS:
        raise ValueError(f"{name}: not a transcript format this viewer reads")
    return READERS[suffix](text)
