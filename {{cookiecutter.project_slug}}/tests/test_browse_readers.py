"""The review page reads back every transcript format this template writes, with what
each one keeps (browse/readers.py), whatever format this project saves."""

from __future__ import annotations

import pytest

import review_samples as samples
from {{ cookiecutter.package_name }}.browse.readers import read_transcript
from {{ cookiecutter.package_name }}.browse.review import build
from {{ cookiecutter.package_name }}.transcript.formats import FORMATS

MARKUP = [
    "<script>alert(1)</script> & <b>bold</b>",
    '"><img src=x onerror=alert(2)> --> not a cue',
    "# not a heading *stars* _under_ [link](javascript:alert(3)) | pipe \\ back",
    "Thanks. I can see two charges; I'll refund the second one now, right away.",
    "How long will the refund take? Because last time it",
    "Usually three to five business days.",
]


@pytest.mark.parametrize("texts", [None, MARKUP], ids=["plain", "markup"])
@pytest.mark.parametrize("name", list(FORMATS))
def test_each_format_reads_back_its_turns(name, texts) -> None:
    written = samples.conversation(texts=texts)
    text = FORMATS[name].render(written)
    review = build(read_transcript(f"transcript.{FORMATS[name].extension}", text))
    turns = [turn for turn in review.turns if turn.is_message]
    expected = [entry for entry in written.entries if entry.is_turn]
    assert [turn.speaker for turn in turns] == [entry.speaker for entry in expected]
    if not (name == "srt" and texts):  # srt swaps markup characters for look-alikes
        assert [turn.text for turn in turns] == [entry.text for entry in expected]
    assert [turn.interrupted for turn in turns] == [entry.interrupted for entry in expected]
    assert [turn.offset for turn in turns] == pytest.approx(samples.TURN_STARTS, abs=0.001)
    tools = [turn.name for turn in review.turns if not turn.is_message]
    keeps_tools = name not in ("webvtt", "srt")
    assert tools == (["lookup_order", "lookup_order"] if keeps_tools else [])
    assert bool(review.latencies) == (name in ("json", "jsonl"))
    facts = dict(review.facts)
    if keeps_tools:  # the formats that keep the header
        assert facts["Room"] == "support-desk"
        assert facts["Close reason"] == "participant_disconnected"
