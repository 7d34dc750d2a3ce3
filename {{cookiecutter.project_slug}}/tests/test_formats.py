"""Each transcript format, rendered from a hand-built livekit history and checked with a
real parser where one exists (json, markdown-it, webvtt-py, srt)."""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re

import pytest
import srt
import webvtt
from hypothesis import given
from hypothesis import strategies as st
from livekit.agents import AgentSession
from markdown_it import MarkdownIt

import transcript_samples as samples
from {{ cookiecutter.package_name }}.transcript import TRANSCRIPT_FORMAT
from {{ cookiecutter.package_name }}.transcript.capture import TranscriptCapture
from {{ cookiecutter.package_name }}.transcript.formats import FORMATS, captions, markdown
from {{ cookiecutter.package_name }}.transcript.model import (
    Entry,
    SessionInfo,
    Transcript,
    iso_utc,
)

TIMING = re.compile(r"^\d{2,}:\d{2}:\d{2}[.,]\d{3} --> \d{2,}:\d{2}:\d{2}[.,]\d{3}$")
# Text the formats may show: no control characters, no surrogates.
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))
MARKUP = st.sampled_from([*"\n *_`#<>&|[]()!-+=.:$~\\1", "-->", "&amp;", "<v x>"])
# Text mixing anything printable with pieces of markup, the likelier to break a format.
TEXT = st.lists(st.one_of(st.text(PRINTABLE, max_size=8), MARKUP), max_size=40).map("".join)


def render(name: str, transcript: Transcript | None = None) -> str:
    return FORMATS[name].render(transcript or samples.sample_transcript())


def squash(text: str) -> str:
    """Text without any whitespace: what must survive re-wrapping into cues."""
    return "".join(text.split())


def test_registry_offers_every_format_with_its_extension():
    extensions = {name: f.extension for name, f in FORMATS.items()}
    assert extensions == {
        "json": "json",
        "jsonl": "jsonl",
        "text": "txt",
        "markdown": "md",
        "webvtt": "vtt",
        "srt": "srt",
    }
    assert TRANSCRIPT_FORMAT in FORMATS


def test_history_keeps_conversation_items_only():
    kinds = [(e.kind, e.role) for e in samples.sample_transcript().entries]
    assert ("message", "system") not in kinds
    assert all(kind != "agent_config_update" for kind, _ in kinds)
    assert kinds.count(("agent_handoff", "")) == 2


def test_reader_tolerates_loose_input_and_every_format_renders_it():
    document = {
        "session": {"room": "r", "models": "not a dict", "recording": ["nor", "this"]},
        "items": [
            {
                "type": "message",
                "role": "user",
                "content": "hi",
                "created_at": "2026-11-18T11:06:40",
            },
            {"type": "function_call", "name": "f", "arguments": {"a": 1}, "created_at": 1.0},
            {"type": "agent_config_update", "instructions": "x"},
        ],
    }
    transcript = Transcript.from_document(document)
    assert (transcript.session.models, transcript.session.recording) == ({}, None)
    assert [(e.kind, e.text, e.arguments) for e in transcript.entries] == [
        ("function_call", "", '{"a": 1}'),
        ("message", "hi", ""),
    ]
    assert transcript.entries[1].created_at == samples.T0  # naive times are UTC
    for name in FORMATS:
        assert render(name, transcript)


# json


def test_json_document_has_session_header_and_typed_items():
    document = json.loads(render("json"))
    session = document["session"]
    assert session["room"] == "support | room-42"
    assert session["room_id"] == "RM_abc"
    assert session["job_id"] == "AJ_def"
    assert session["agent_name"] == "livekit-recording-agent"
    assert session["started_at"] == iso_utc(samples.T0) == "2026-11-18T11:06:40.000Z"
    assert session["ended_at"] == iso_utc(samples.T0 + 75)
    assert session["close_reason"] == "participant_disconnected"
    assert session["models"] == {
        "stt": "deepgram/nova-3",
        "llm": "openai/gpt-4.1-mini",
        "tts": "openai/tts-1",
    }
    assert session["recording"]["started_at"] == iso_utc(samples.RECORDING_START)

    items = document["items"]
    assert [item["type"] for item in items] == [
        "agent_handoff",
        "message",
        "message",
        "function_call",
        "function_call_output",
        "message",
        "agent_handoff",
        "message",
        "function_call",
        "function_call_output",
        "message",
    ]
    messages = [item for item in items if item["type"] == "message"]
    assert [m["text"] for m in messages] == samples.SPOKEN  # empty turns skipped
    assert [m["role"] for m in messages] == ["assistant", "user", "assistant", "assistant", "user"]
    assert [m["interrupted"] for m in messages] == [False, False, True, False, False]
    assert all(m["created_at"].endswith("Z") for m in messages)
    assert messages[1]["metrics"] == {
        "started_speaking_at": samples.T0 + 4.0,
        "stopped_speaking_at": samples.T0 + 5.5,
        "transcription_delay": 0.31,
        "end_of_turn_delay": 0.52,
    }
    assert messages[2]["metrics"]["e2e_latency"] == 1.1
    assert items[3] | {"id": "", "created_at": ""} == {
        "type": "function_call",
        "id": "",
        "created_at": "",
        "name": "get_weather",
        "call_id": "call_1",
        "arguments": '{"city": "東京"}',
    }
    assert items[4]["output"] == "Sunny, 22 °C" and items[4]["is_error"] is False
    assert items[9]["is_error"] is True
    assert (items[0]["old_agent"], items[0]["new_agent"]) == (None, "greeter")
    assert (items[6]["old_agent"], items[6]["new_agent"]) == ("greeter", "weather_expert")


def test_json_is_pretty_and_keeps_unicode_unescaped():
    rendered = render("json")
    assert rendered.startswith('{\n  "version": 1,\n  "session": {\n')
    assert "東京" in rendered and "😀" in rendered and "שלום" in rendered
    assert "\\u" not in rendered


@pytest.mark.parametrize("items", ["all", "none"])
def test_json_streamed_item_by_item_is_exactly_json_dumps(items):
    transcript = samples.sample_transcript()
    if items == "none":
        transcript = Transcript(transcript.session, [])
    rendered = render("json", transcript)
    assert rendered == json.dumps(json.loads(rendered), ensure_ascii=False, indent=2) + "\n"


def test_json_round_trips_through_the_reader():
    rendered = render("json")
    again = Transcript.from_text(rendered)
    assert render("json", again) == rendered


# jsonl


def test_jsonl_has_header_items_and_footer():
    lines = render("jsonl").splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0]["type"] == "session_start"
    assert records[0]["session"]["started_at"] == iso_utc(samples.T0)
    assert records[0]["session"]["ended_at"] is None
    assert records[-1] == {"type": "session_end", "session": samples.sample_session().to_dict()}
    assert records[1:-1] == json.loads(render("json"))["items"]
    assert all("\\u" not in line for line in lines)


def test_jsonl_round_trips_and_survives_a_missing_footer():
    rendered = render("jsonl")
    assert render("jsonl", Transcript.from_text(rendered)) == rendered
    killed = Transcript.from_jsonl(rendered.splitlines()[:-1])
    assert [e.to_dict() for e in killed.entries] == [
        e.to_dict() for e in samples.sample_transcript().conversation()
    ]
    assert killed.session.ended_at is None
    assert killed.session.started_at == samples.T0


async def test_jsonl_matches_the_live_journal_line_for_line(tmp_path):
    info = samples.sample_session()
    ended_at, close_reason = info.ended_at, info.close_reason
    info.ended_at = info.close_reason = None  # what is known when the session starts
    capture = TranscriptCapture(info, tmp_path / "journal.jsonl")
    capture.attach(AgentSession())
    for item in samples.sample_history().items:
        capture.add(item)
    info.ended_at, info.close_reason = ended_at, close_reason
    await asyncio.to_thread(capture.finish, info)  # blocking, as in the archive

    journal = (tmp_path / "journal.jsonl").read_text(encoding="utf-8").splitlines()
    empty_turns = [line for line in journal if '"text": ""' in line or '"text": "  ' in line]
    assert len(empty_turns) == 2  # the journal keeps everything as it happened
    entries = [Entry.from_item(item) for item in samples.sample_history().items]
    kept = [entry for entry in entries if entry is not None]
    rendered = render("jsonl", Transcript(info, kept)).splitlines()
    assert rendered == [line for line in journal if line not in empty_turns]


# text


def test_text_lines_are_offsets_from_the_recording_start():
    lines = render("text").splitlines()
    assert lines[0] == "Transcript of room support | room-42"
    origin_line = f"Times: offsets from the recording start ({iso_utc(samples.RECORDING_START)})"
    assert origin_line in lines
    body = lines[lines.index("") + 1 :]
    assert body[:6] == [
        "[-00:00:01] Handoff: (start) -> greeter",
        f"[00:00:00] Agent: {samples.GREETING}",
        f"[00:00:03] User: {samples.UNICODE_QUESTION}",
        '[00:00:05] Tool call: get_weather {"city": "東京"}',
        "[00:00:05] Tool result: get_weather -> Sunny, 22 °C",
        f"[00:00:06] Agent (interrupted): {samples.INTERRUPTED_REPLY}",
    ]
    assert body[6:9] == [
        "[00:00:08] Handoff: greeter -> weather_expert",
        f"[00:00:09] Agent: {samples.LONG_REPLY}",
        '[00:00:58] Tool call: lookup_order {"order": "A-1 | ```x```"}',
    ]
    assert body[9] == "[00:00:58] Tool error: lookup_order -> order not found"
    assert body[10:] == [
        "[00:00:59] User: # not a heading",
        "           - not a list",
        "           1. nor this",
        "           `code` *stars* _under_ [link](x)",
    ]


def test_text_shortens_huge_tool_output_to_one_line():
    entry = Entry("function_call_output", samples.T0 + 2, name="search", output="row\n" * 500)
    text = render("text", Transcript(samples.sample_session(), [entry]))
    line = text.splitlines()[-1]
    assert line.startswith("[00:00:01] Tool result: search -> row row")
    assert line.endswith("… (+1799 chars)")


def test_origin_falls_back_to_session_start_then_first_item():
    entries = [Entry("message", samples.T0 + 5, role="user", text="hi")]
    no_recording = SessionInfo(started_at=samples.T0)
    assert Transcript(no_recording, entries).origin == samples.T0
    assert "offsets from the session start" in render("text", Transcript(no_recording, entries))
    bare = Transcript(SessionInfo(), entries)
    assert bare.origin == samples.T0 + 5
    assert "[00:00:00] User: hi" in render("text", bare)


# markdown


def markdown_html(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(text)


def test_markdown_has_title_metadata_table_and_turns():
    rendered = render("markdown")
    assert rendered.startswith("# Transcript: support | room-42\n")  # no table starts here
    page = markdown_html(rendered)
    assert page.count("<h1>") == 1 and page.count("<h2>") == 1
    assert "<h1>Transcript: support | room-42</h1>" in page
    rows = re.findall(r"<tr>\n(.*?)</tr>", page, re.DOTALL)
    assert len(rows) == 14
    assert all(row.count("<td>") == 2 or row.count("<th>") == 2 for row in rows)
    assert "<td>Room</td>\n<td>support | room-42</td>" in page
    assert "<td>LLM model</td>\n<td>openai/gpt-4.1-mini</td>" in page
    assert "offsets from the recording start" in page


def test_markdown_turn_text_renders_literally():
    page = markdown_html(render("markdown"))
    # nothing said becomes markup: no lists, extra headings, emphasis, links or raw html
    for tag in ("<ul>", "<ol>", "<h3", "<a ", "<b>", "<strong>now"):
        assert tag not in page
    assert re.findall(r"<em>(.*?)</em>", page) == ["Handoff", "interrupted", "Handoff"]
    assert html.escape(samples.UNICODE_QUESTION, quote=False) in page
    assert (
        "<p><strong>User</strong> (00:00:59): # not a heading<br />\n- not a list<br />\n"
        "1. nor this<br />\n`code` *stars* _under_ [link](x)</p>"
    ) in page
    assert "<p><strong>Agent</strong> (00:00:06, <em>interrupted</em>): " in page
    assert samples.INTERRUPTED_REPLY in page


def test_markdown_tool_calls_are_code_blocks():
    rendered = render("markdown")
    assert '**Tool call** `get_weather` (00:00:05)\n\n```json\n{\n  "city": "東京"\n}\n```' in (
        rendered
    )
    assert "**Tool error** `lookup_order` (00:00:58)\n\n```text\norder not found\n```" in rendered
    page = markdown_html(rendered)
    # the argument holds a ``` run: the fence must be longer, so the block stays whole
    assert (
        '<code class="language-json">{\n  &quot;order&quot;: &quot;A-1 | ```x```&quot;\n}' in page
    )
    assert "<code>greeter</code> → <code>weather_expert</code>" in page


@given(TEXT)
def test_markdown_escape_keeps_any_text_literal(text):
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    page = markdown_html(markdown.escape_block(text))
    if not lines:
        assert page == ""
        return
    assert page.startswith("<p>") and page.endswith("</p>\n") and page.count("<p>") == 1
    shown = page[len("<p>") : -len("</p>\n")].split("<br />\n")
    assert [html.unescape(line) for line in shown] == lines


# captions


def spoken_cues() -> list[captions.Cue]:
    return list(captions.cues(samples.sample_transcript()))


def test_cues_use_speaking_times_as_offsets_from_the_recording():
    cues = spoken_cues()
    assert (cues[0].start_ms, cues[0].end_ms, cues[0].speaker) == (500, 2500, "Agent")
    assert (cues[1].start_ms, cues[1].end_ms, cues[1].speaker) == (3000, 4500, "User")
    interrupted = [c for c in cues if c.lines[-1].endswith("[interrupted]")]
    assert [(c.start_ms, c.end_ms) for c in interrupted] == [(6000, 7000)]


def test_long_turn_is_split_into_timed_cues_that_do_not_overrun_the_next_turn():
    cues = spoken_cues()
    long_turn = [c for c in cues if c.start_ms >= 9000 and c.speaker == "Agent"]
    assert len(long_turn) >= 5
    assert squash(" ".join(" ".join(c.lines) for c in long_turn)) == squash(samples.LONG_REPLY)
    assert long_turn[0].start_ms == 9000  # created_at: no speaking times for this turn
    for cue, following in itertools.pairwise(long_turn):
        assert cue.end_ms == following.start_ms
    next_turn = cues[cues.index(long_turn[-1]) + 1]
    assert long_turn[-1].end_ms <= next_turn.start_ms == 59000
    total_ms = long_turn[-1].end_ms - long_turn[0].start_ms
    total_width = sum(captions.display_width("".join(c.lines)) for c in long_turn)
    for cue in long_turn:
        share = captions.display_width("".join(cue.lines)) / total_width
        assert abs((cue.end_ms - cue.start_ms) - share * total_ms) <= 2


def test_cues_are_short_ordered_and_skip_empty_turns():
    cues = spoken_cues()
    assert all(1 <= len(c.lines) <= captions.LINES_PER_CUE for c in cues)
    assert all(
        captions.display_width(line) <= captions.LINE_WIDTH for c in cues for line in c.lines
    )
    assert all(c.end_ms > c.start_ms for c in cues)
    assert [c.start_ms for c in cues] == sorted(c.start_ms for c in cues)
    spoken = (
        samples.GREETING + samples.UNICODE_QUESTION + samples.INTERRUPTED_REPLY + "[interrupted]"
    )
    spoken += samples.LONG_REPLY + samples.MARKDOWN_QUESTION
    assert squash("".join("".join(c.lines) for c in cues)) == squash(spoken)


def test_wrap_counts_wide_characters_double():
    lines = captions.wrap("東京" * 30)
    assert [len(line) for line in lines] == [21, 21, 18]
    assert captions.wrap("a " + "x" * 50) == ["a", "x" * 42, "x" * 8]


def test_cues_end_at_sentence_ends_when_a_sentence_fits_a_cue():
    x, y = "x" * 40, "y" * 40
    assert captions.cue_lines(f"Yes. That works. {x} {y}. Bye.") == [
        ["Yes. That works."],
        [x, f"{y}."],
        ["Bye."],
    ]
    # a sentence too long for one cue carries on from a short one before it
    assert captions.cue_lines(f"Yes. {x} {y} {x}.") == [["Yes.", x], [y, f"{x}."]]


def test_estimated_end_is_cut_at_the_next_turn_and_cues_never_overlap():
    entries = [
        Entry("message", samples.T0 + 1, role="assistant", text="A fairly long sentence " * 5),
        Entry("message", samples.T0 + 3, role="user", text="Stop."),
        Entry("message", samples.T0 + 3.2, role="assistant", text="Okay."),
    ]
    cues = list(captions.cues(Transcript(SessionInfo(started_at=samples.T0), entries)))
    assert cues[0].start_ms == 1000 and cues[-3].end_ms == 3000
    user, agent = cues[-2:]
    assert (user.start_ms, user.end_ms) == (3000, 3500)  # shown for MIN_CUE at least
    assert (agent.start_ms, agent.end_ms) == (3500, 4500)  # so the next turn waits for it


def vtt_cues(rendered: str) -> list[tuple[str, str, str]]:
    parsed = webvtt.from_string(rendered)
    return [(c.start, c.end, c.voice) for c in parsed.captions]


def test_webvtt_validates_and_carries_speaker_and_escaped_text():
    rendered = render("webvtt")
    assert rendered.startswith("WEBVTT\n\nNOTE\nTranscript of room support | room-42, job AJ_def\n")
    for line in rendered.splitlines():
        assert "-->" not in line or TIMING.match(line)
    parsed = webvtt.from_string(rendered).captions
    cues = spoken_cues()
    assert len(parsed) == len(cues)
    for caption, cue in zip(parsed, cues, strict=True):
        assert caption.voice == cue.speaker
        assert caption.start == captions.timestamp(cue.start_ms, ".")
        assert caption.end == captions.timestamp(cue.end_ms, ".")
        assert html.unescape(caption.text) == "\n".join(cue.lines)
    assert parsed[0].start == "00:00:00.500" and parsed[0].end == "00:00:02.500"
    question = "What's the weather in 東京 --&gt;\n&lt;b&gt;now&lt;/b&gt; &amp; later? | שלום"
    assert f"00:00:03.000 --> 00:00:04.500\n<v User>{question}" in rendered


def test_srt_validates_and_prefixes_the_speaker():
    rendered = render("srt")
    subtitles = list(srt.parse(rendered))
    assert srt.compose(subtitles, reindex=False) == rendered  # canonical, nothing dropped
    cues = spoken_cues()
    assert [s.index for s in subtitles] == list(range(1, len(cues) + 1))
    for subtitle, cue in zip(subtitles, cues, strict=True):
        assert subtitle.content.startswith(f"{cue.speaker}: ")
        assert subtitle.start.total_seconds() * 1000 == pytest.approx(cue.start_ms)
        assert subtitle.end.total_seconds() * 1000 == pytest.approx(cue.end_ms)
        assert "-->" not in subtitle.content
    # no markup: tags, override blocks and "-->" become look-alikes
    shown = subtitles[1].content.translate({0x2039: "<", 0x203A: ">"})
    assert shown == "User: What's the weather in 東京 -->\n<b>now</b> & later? | שלום עולם 😀"
    assert "<" not in subtitles[1].content and ">" not in subtitles[1].content


def test_captions_of_an_empty_transcript_are_valid():
    empty = Transcript(SessionInfo(room="r", started_at=samples.T0), [])
    assert webvtt.from_string(render("webvtt", empty)).captions == []
    assert render("srt", empty) == ""


def single_turn(text: str) -> Transcript:
    entry = Entry("message", samples.T0 + 2, role="user", text=text)
    return Transcript(SessionInfo(room="r --> <x>", started_at=samples.T0), [entry])


@given(TEXT.filter(str.strip))
def test_webvtt_keeps_any_text(text):
    rendered = render("webvtt", single_turn(text))
    for line in rendered.splitlines():
        assert "-->" not in line or TIMING.match(line)
    parsed = webvtt.from_string(rendered).captions
    assert {c.voice for c in parsed} == {"User"}
    assert squash(html.unescape("".join(c.text for c in parsed))) == squash(text)


@given(TEXT.filter(str.strip))
def test_srt_keeps_any_text(text):
    rendered = render("srt", single_turn(text))
    subtitles = list(srt.parse(rendered))
    assert srt.compose(subtitles, reindex=False) == rendered
    assert all(s.content.startswith("User: ") for s in subtitles)
    shown = "".join(s.content.removeprefix("User: ") for s in subtitles)
    assert squash(shown) == squash(text.translate(captions._SRT_LOOK_ALIKES))


# captions by the book: line width with the label, two lines a cue, no overlap


def caption_geometry_problems(transcript: Transcript) -> list[str]:
    """What breaks the caption rules in the SRT and WebVTT files of ``transcript``."""
    subtitles = list(srt.parse(render("srt", transcript)))
    vtt = webvtt.from_string(render("webvtt", transcript)).captions
    problems = []
    if [(c.start, c.end) for c in vtt] != [
        (
            captions.timestamp(round(s.start.total_seconds() * 1000), "."),
            captions.timestamp(round(s.end.total_seconds() * 1000), "."),
        )
        for s in subtitles
    ]:
        problems.append("SRT and WebVTT hold different cues")
    for subtitle in subtitles:
        lines = subtitle.content.split("\n")
        if len(lines) > captions.LINES_PER_CUE:
            problems.append(f"cue {subtitle.index} has {len(lines)} lines")
        problems += [
            f"cue {subtitle.index}: {line!r} is wider than {captions.LINE_WIDTH}"
            for line in lines
            if captions.display_width(line) > captions.LINE_WIDTH
        ]
        if subtitle.end <= subtitle.start:
            problems.append(f"cue {subtitle.index} ends before it starts")
    for cue, following in itertools.pairwise(subtitles):
        if following.start < cue.end:
            problems.append(f"cue {cue.index} overlaps cue {following.index}")
    return problems


def turns_at(*turns: tuple[str, float, str, tuple[float, float] | None]) -> Transcript:
    """Turns (role, created offset, text, speaking start and end offsets or None)."""
    entries = [
        Entry(
            "message",
            samples.T0 + created,
            f"item_{n}",
            role=role,
            text=text,
            metrics={}
            if spoken is None
            else {
                "started_speaking_at": samples.T0 + spoken[0],
                "stopped_speaking_at": samples.T0 + spoken[1],
            },
        )
        for n, (role, created, text, spoken) in enumerate(turns)
    ]
    return Transcript(SessionInfo(started_at=samples.T0), entries)


LONG_WORDS = "Please visit https://example.com/" + "a" * 80 + " or call " + "東京" * 40


def test_caption_geometry_on_long_unmetered_and_overlapping_turns():
    transcript = turns_at(
        ("assistant", 1.0, samples.LONG_REPLY, None),  # long, no speaking times
        ("user", 1.2, "Stop, stop.", None),  # before the estimated end of the one before
        ("assistant", 1.2, "Okay.", None),  # the same start
        ("assistant", 5.0, LONG_WORDS, (5.0, 9.0)),
        ("user", 6.0, "Sorry to interrupt, but " * 4, (6.0, 8.0)),  # a barge-in
    )
    subtitles = list(srt.parse(render("srt", transcript)))
    assert len(subtitles) > 10
    assert caption_geometry_problems(transcript) == []
    # every line fills up to the limit: the label is counted, not just allowed for
    first_lines = [s.content.split("\n")[0] for s in subtitles if s.content.startswith("Agent: ")]
    assert max(map(captions.display_width, first_lines)) == captions.LINE_WIDTH


def test_sample_captions_follow_the_rules():
    assert caption_geometry_problems(samples.sample_transcript()) == []
    rendered = render("srt")
    # the label used to be added after wrapping: the line was 49 columns
    assert all(
        captions.display_width(line) <= captions.LINE_WIDTH for line in rendered.splitlines()
    )


caption_turn = st.tuples(
    st.sampled_from(["user", "assistant"]),
    st.floats(0, 20),
    TEXT.filter(str.strip) | st.text(PRINTABLE, min_size=80, max_size=400).filter(str.strip),
    st.none() | st.tuples(st.floats(0, 20), st.floats(0, 20)),
)


@given(st.lists(caption_turn, min_size=1, max_size=6))
def test_captions_follow_the_rules_for_any_turns(turns):
    assert caption_geometry_problems(turns_at(*turns)) == []


# markdown: escapes only what would be markup, headings that hold any room name


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, bye!",
        "R&D costs $20, or 5 > 3 (roughly).",
        "snake_case and 東京_駅 stay",
        "#1 fan, C# and 3.5 stars",
        "a\\b is a path",
        "-5 degrees, +3 points",
    ],
)
def test_markdown_leaves_text_that_is_not_markup_alone(text):
    assert markdown.escape_block(text) == text
    assert markdown_html(text) == f"<p>{html.escape(text, quote=False)}</p>\n"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("*bold* and _it_", "\\*bold\\* and \\_it\\_"),
        ("&amp; &#169;", "\\&amp; \\&#169;"),
        ("<b>, [x](y), `c`, ~~s~~", "\\<b>, \\[x](y), \\`c\\`, \\~\\~s\\~\\~"),
        ("a | b", "a \\| b"),
        ("$x$ and $y", "\\$x\\$ and \\$y"),
        (
            "# h\n> q\n- l\n+ l\n1. n\n2) n\n---\n===",
            "\\# h\\\n\\> q\\\n\\- l\\\n\\+ l\\\n1\\. n\\\n2\\) n\\\n\\---\\\n\\===",
        ),
        ("ends with \\", "ends with \\\\"),
    ],
)
def test_markdown_escapes_what_would_be_markup(text, escaped):
    assert markdown.escape_block(text) == escaped


def test_markdown_heading_and_table_hold_any_room_name():
    room = "sales\n# forged heading | x\nand more #"
    transcript = Transcript(SessionInfo(room=room, started_at=samples.T0), [])
    rendered = render("markdown", transcript)
    flat = " ".join(room.split())
    page = markdown_html(rendered)
    assert rendered.startswith("# Transcript: sales # forged heading | x and more \\#\n")
    assert page.count("<h1>") == 1 and page.count("<h2>") == 1
    assert f"<h1>Transcript: {flat}</h1>" in page
    assert f"<td>Room</td>\n<td>{flat}</td>" in page
