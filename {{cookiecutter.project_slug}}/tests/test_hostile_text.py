"""Hostile text: whatever a caller says, a tool returns or a dispatcher names a room, every
format writes a file its own parser reads, turn for turn, and nothing unsafe gets through
(control characters, lone surrogates, bidi overrides, markup)."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import re
import tempfile
from pathlib import Path

import pytest
import srt
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st
from livekit.agents import AgentSession
from livekit.agents.llm import ChatContext, FunctionCallOutput
from markdown_it import MarkdownIt

import transcript_samples as samples
from {{ cookiecutter.package_name }}.transcript.capture import TranscriptCapture
from {{ cookiecutter.package_name }}.transcript.formats import FORMATS, captions
from {{ cookiecutter.package_name }}.transcript.model import Entry, SessionInfo, Transcript
{%- if cookiecutter.transcript_redaction == "pii" %}
from {{ cookiecutter.package_name }}.transcript.redaction import redact_transcript
{%- endif %}
from {{ cookiecutter.package_name }}.transcript.sanitize import clean_text

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
PIECES = [
    *"\x00\x1b\r\n\t\x7f\x85\u202e\u2066\u200f\ufeff\u2028",
    "\ud83d",  # half an emoji
    "\ud83d\ude00",  # a pair as two code points
    os.fsdecode(b"\xff"),
    *"<>&{}\\|*_`#[]-=+$~!",
    "<b>bold</b>",
    "<v Bob>",
    "{\\an8}",
    "\\N",
    "-->",
    "&amp;",
    "1. ",
    "# ",
    "WEBVTT",
    "NOTE",
]
# Anything at all: every code point (surrogates and controls too) and pieces of markup.
HOSTILE = st.lists(
    st.one_of(
        st.characters(exclude_categories=()),
        st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp"]),
        st.sampled_from(PIECES),
    ),
    max_size=60,
).map("".join)
TURN = st.tuples(st.sampled_from(["user", "assistant"]), HOSTILE, st.booleans())


def hostile_transcript(room: str, turns: list[tuple[str, str, bool]]) -> Transcript:
    entries = []
    for n, (role, text, metered) in enumerate(turns):
        at = samples.T0 + 2 * n
        metrics = {"started_speaking_at": at, "stopped_speaking_at": at + 1.5} if metered else {}
        entries.append(Entry("message", at, f"item_{n}", role=role, text=text, metrics=metrics))
        if n == 0:  # a tool result holding the same text
            entries.append(Entry("function_call_output", at + 0.5, "tool", name=room, output=text))
    return Transcript(SessionInfo(room=room, job_id=room, started_at=samples.T0), entries)


def squash(text: str) -> str:
    return "".join(text.split())


def check_outputs(transcript: Transcript) -> None:
    """Each format parses with its own parser, holds the turns in order and nothing unsafe."""
    rendered = {name: f.render(transcript) for name, f in FORMATS.items()}
    for name, text in rendered.items():
        assert not UNSAFE.search(text.replace("\r", "")), name
        text.encode("utf-8")  # never a UnicodeEncodeError
    turns = transcript.turns()

    items = json.loads(rendered["json"])["items"]
    assert [i["text"] for i in items if i["type"] == "message"] == [e.text for e in turns]
    lines = [json.loads(line) for line in rendered["jsonl"].split("\n")[:-1]]
    assert lines[1:-1] == items

    speakers = re.findall(r"^\[[-\d:]+\] (User|Agent): ", rendered["text"], re.MULTILINE)
    assert speakers == [e.speaker for e in turns]

    page = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(rendered["markdown"])
    assert page.count("<h1>") == 1 and page.count("<h2>") == 1
    said = re.findall(r"<p><strong>(User|Agent)</strong> \([-\d:]+\): (.*?)</p>", page, re.S)
    assert [speaker for speaker, _ in said] == [e.speaker for e in turns]
    for (_, shown), entry in zip(said, turns, strict=True):
        expected = [line.strip() for line in entry.text.splitlines() if line.strip()]
        assert [html.unescape(line) for line in shown.split("<br />\n")] == expected

    spoken = [squash(e.text) for e in turns]
    vtt = webvtt.from_string(rendered["webvtt"]).captions
    voices = [c.voice for c in vtt]
    assert [v for n, v in enumerate(voices) if n == 0 or v != voices[n - 1]] == [
        e.speaker for n, e in enumerate(turns) if n == 0 or e.speaker != turns[n - 1].speaker
    ]
    assert squash(html.unescape("".join(c.text for c in vtt))) == "".join(spoken)
    subtitles = list(srt.parse(rendered["srt"]))
    assert srt.compose(subtitles, reindex=False) == rendered["srt"]
    assert len(subtitles) == len(vtt)
    shown = "".join(s.content.split(": ", 1)[1] for s in subtitles)
    assert squash(shown) == "".join(spoken).translate(captions._SRT_LOOK_ALIKES)
    assert not re.search(r"[<>{}\\]", "".join(s.content for s in subtitles)), "SRT markup"


@settings(deadline=None)
@given(room=HOSTILE, turns=st.lists(TURN, min_size=1, max_size=5))
def test_every_format_survives_any_text(room, turns):
    transcript = hostile_transcript(room, turns)
    check_outputs(transcript)
    # what a saved json or jsonl file holds reads back to the same transcript
    for name in ("json", "jsonl"):
        again = Transcript.from_text(FORMATS[name].render(transcript))
        assert FORMATS["json"].render(again) == FORMATS["json"].render(transcript), name


@settings(deadline=None, max_examples=25)
@given(room=HOSTILE, turns=st.lists(TURN, min_size=1, max_size=4))
def test_the_transcript_command_re_renders_any_text(room, turns):
    transcript = hostile_transcript(room, turns)
{%- if cookiecutter.transcript_redaction == "pii" %}
    expected = redact_transcript(transcript)  # the command masks PII
{%- else %}
    expected = transcript
{%- endif %}
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "transcript.jsonl"
        saved.write_text(FORMATS["jsonl"].render(transcript), encoding="utf-8")
        for name, output_format in FORMATS.items():
            result = samples.run_cli(str(saved), "-f", name, cwd=Path(folder))
            assert result.returncode == 0, result.stderr
            assert result.stdout.decode("utf-8") == output_format.render(expected), name


# the sanitising step


def test_clean_text_replaces_what_no_format_can_show_safely():
    assert clean_text("tab\tand\nnewline stay") == "tab\tand\nnewline stay"
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("nul\x00 esc\x1b[31m del\x7f c1\x85\x9b") == (
        "nul\ufffd esc\ufffd[31m del\ufffd c1\ufffd\ufffd"
    )
    assert clean_text(os.fsdecode(b"caf\xff")) == "caf\ufffd"
    assert clean_text("cut \ud83d in half") == "cut \ufffd in half"
    assert clean_text("joined \ud83d\ude00") == "joined 😀"
    assert clean_text("\u202egnp.exe \u2066x\u2069") == "\ufffdgnp.exe \ufffdx\ufffd"
    assert clean_text("שלום\u200f, marks stay\u200e") == "שלום\u200f, marks stay\u200e"
    plain = "Hello, 東京 😀"
    assert clean_text(plain) is plain


def test_the_model_cleans_every_string_on_the_way_in():
    entry = Entry.from_dict(
        {
            "type": "message",
            "role": "user",
            "content": ["a\x00", "b\ud800"],
            "metrics": {"k\x1b": "v\x1b"},
        }
    )
    assert (entry.text, entry.metrics) == ("a\ufffd\nb\ufffd", {"k\ufffd": "v\ufffd"})
    entry.output = "later\x07"
    assert entry.output == "later\ufffd"
    info = SessionInfo.from_dict({"room": "r\x1b[2J", "models": {"llm": "m\x00"}})
    assert (info.room, info.models) == ("r\ufffd[2J", {"llm": "m\ufffd"})
    info.recording = {"location": os.fsdecode(b"\xff")}
    assert info.recording == {"location": "\ufffd"}


async def test_a_lone_surrogate_does_not_stop_the_journal(tmp_path):
    """Issue 15, item 1: one unencodable character killed the journal at that item."""
    chat = ChatContext.empty()
    chat.add_message(role="user", content="before", created_at=samples.T0 + 1)
    chat.insert(
        FunctionCallOutput(
            call_id="c1",
            name="ls",
            output=os.fsdecode(b"report-\xff.pdf"),
            is_error=False,
            created_at=samples.T0 + 2,
        )
    )
    chat.add_message(role="assistant", content="cut \ud83d half", created_at=samples.T0 + 3)
    chat.add_message(role="user", content="after", created_at=samples.T0 + 4)
    journal = tmp_path / "journal.jsonl"
    capture = TranscriptCapture(SessionInfo(room=os.fsdecode(b"r\xff")), journal)
    capture.attach(AgentSession())
    for item in chat.items:
        capture.add(item)
    await asyncio.to_thread(capture.finish, capture.info)
    assert capture.journal.failed is None
    saved = Transcript.from_text(journal.read_text(encoding="utf-8"))
    assert [e.text or e.output for e in saved.entries] == [
        "before",
        "report-\ufffd.pdf",
        "cut \ufffd half",
        "after",
    ]
    for output_format in FORMATS.values():
        output_format.render(saved).encode("utf-8")


# a journal's torn last line (issue 15, item 11)


def torn_journal() -> str:
    whole = FORMATS["jsonl"].render(samples.sample_transcript()).splitlines()[:-1]
    return "\n".join(whole) + "\n" + '{"type": "message", "role": "user", "text": "cut of'


def test_a_torn_last_line_is_skipped_with_a_warning(caplog):
    caplog.set_level(logging.WARNING)
    transcript = Transcript.from_text(torn_journal())
    assert [e.to_dict() for e in transcript.entries] == [
        e.to_dict() for e in samples.sample_transcript().conversation()
    ]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "torn" in caplog.records[0].getMessage()


def test_a_broken_line_before_the_last_still_rejects_the_file():
    lines = torn_journal().splitlines()
    lines.insert(2, lines.pop())
    with pytest.raises(ValueError, match="line 3 is not JSON"):
        Transcript.from_text("\n".join(lines))


def test_the_transcript_command_reads_a_torn_journal(tmp_path):
    path = tmp_path / "transcript.partial.jsonl"
    # killed mid-write: the file can end in the middle of a character
    path.write_bytes(torn_journal().encode("utf-8") + "東京".encode()[:4])
    result = samples.run_cli(str(path), "-f", "text", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert samples.GREETING in result.stdout.decode("utf-8")
