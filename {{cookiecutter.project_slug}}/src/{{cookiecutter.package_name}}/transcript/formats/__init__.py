"""Transcript formats: pure functions from a ``Transcript`` to text.

Each format yields its text in chunks, so a long transcript is written to disk as it is
rendered: no whole-document string, and no single step long enough to stall the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..model import Transcript
from . import captions, json_document, jsonl, markdown, text


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    chunks: Callable[[Transcript], Iterator[str]]

    def render(self, transcript: Transcript) -> str:
        return "".join(self.chunks(transcript))


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "json", json_document.chunks),
        Format("jsonl", "jsonl", jsonl.chunks),
        Format("text", "txt", text.chunks),
        Format("markdown", "md", markdown.chunks),
        Format("webvtt", "vtt", captions.webvtt_chunks),
        Format("srt", "srt", captions.srt_chunks),
    )
}
