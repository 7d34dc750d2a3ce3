"""``view``: one review page as a single HTML file, to attach to a ticket.

The stylesheet and script are inlined and allowed by hash; the recording (if it is
beside the transcript, or given) and its captions are embedded as ``data:`` URIs.
The file loads nothing from anywhere when opened.
"""

from __future__ import annotations

import base64
from pathlib import Path

from ..transcript.formats import FORMATS
from . import page as pages
from .readers import read_transcript
from .review import build
from .source import MEDIA_TYPES, media_type

# A recording larger than this is left out (base64 makes it a third larger again).
MAX_EMBED = 200 * 1024 * 1024


def find_recording(transcript: Path) -> Path | None:
    """``recording.<ext>`` beside the transcript, as the storage layout keeps them apart
    (``transcripts/...`` and ``recordings/...``) or as a download puts them together."""
    folder = transcript.parent
    candidates = [folder]
    parts = folder.parts
    if "transcripts" in parts:  # the same session's folder under recordings/
        index = len(parts) - 1 - parts[::-1].index("transcripts")
        candidates.append(Path(*parts[:index], "recordings", *parts[index + 1 :]))
    for candidate in candidates:
        for suffix in MEDIA_TYPES:
            path = candidate / f"recording{suffix}"
            if path.is_file():
                return path
    return None


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def render(
    transcript_path: Path, recording: Path | None = None, *, max_embed: int = MAX_EMBED
) -> tuple[str, str]:
    """(the HTML page, a note about the recording for the command to print)."""
    transcript = read_transcript(transcript_path.name, transcript_path.read_text(encoding="utf-8"))
    recording = recording or find_recording(transcript_path)
    media, note = None, "no recording found beside the transcript"
    if recording is not None:
        mime = media_type("recording" + recording.suffix) or "application/octet-stream"
        size = recording.stat().st_size
        if size > max_embed:
            note = f"{recording} is {size} bytes, over the {max_embed} limit: not embedded"
        else:
            vtt = FORMATS["webvtt"].render(transcript).encode("utf-8")
            media = pages.Media(
                src=_data_uri(mime, recording.read_bytes()),
                mime=mime,
                captions=_data_uri("text/vtt", vtt) if transcript.entries else "",
            )
            note = f"embedded {recording}"
    return pages.review_page(build(transcript), media, pages.Assets(inline=True)), note
