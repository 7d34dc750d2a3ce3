"""Transcript formats: pure functions from a ``Transcript`` to text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..model import Transcript
from . import captions, json_document, jsonl, markdown, text


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    render: Callable[[Transcript], str]


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "json", json_document.render),
        Format("jsonl", "jsonl", jsonl.render),
        Format("text", "txt", text.render),
        Format("markdown", "md", markdown.render),
        Format("webvtt", "vtt", captions.render_webvtt),
        Format("srt", "srt", captions.render_srt),
    )
}


def render(transcript: Transcript, format_name: str) -> str:
    return FORMATS[format_name].render(transcript)
