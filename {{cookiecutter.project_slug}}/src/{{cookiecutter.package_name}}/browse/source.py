"""One session's transcript and recording, read from the store or, if not uploaded yet,
from the spool. Keys are always built from layout segments (``catalog.SessionRef``),
never taken from a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..storage.base import ReadRange, file_range
from ..transcript.model import Transcript
from .catalog import Catalog, SessionFiles
from .readers import read_transcript

# Which transcript to show when a session has several: the richest first. The live
# journal (``.partial.jsonl``) is only in the spool: a live or interrupted session.
TRANSCRIPT_NAMES = (
    "transcript.json",
    "transcript.jsonl",
    "transcript.vtt",
    "transcript.srt",
    "transcript.md",
    "transcript.txt",
    "transcript.partial.jsonl",
)
MEDIA_TYPES = {".ogg": "audio/ogg", ".oga": "audio/ogg", ".mp3": "audio/mpeg", ".mp4": "video/mp4"}
# A transcript larger than this is not rendered (a page holds every turn).
MAX_TRANSCRIPT = 32 * 1024 * 1024


def media_type(name: str) -> str | None:
    return MEDIA_TYPES.get(Path(name).suffix.lower()) if name.startswith("recording.") else None


@dataclass
class SessionSource:
    catalog: Catalog
    files: SessionFiles

    def transcript_name(self) -> str | None:
        names = self.files.names("transcripts")
        return next((n for n in TRANSCRIPT_NAMES if n in names), None)

    def recording_name(self) -> str | None:
        return next((n for n in sorted(self.files.names("recordings")) if media_type(n)), None)

    def spooled(self, kind: str, name: str) -> bool:
        """Read from the spool: the file was never uploaded (or the session is live)."""
        return name not in self.files.stored[kind] and name in self.files.spooled[kind]

    def _spool_path(self, kind: str, name: str) -> Path:
        return self.catalog.spool.path(self.catalog.key(kind, self.files.ref, name))

    def read_range(
        self, kind: str, name: str, start: int = 0, stop: int | None = None
    ) -> ReadRange:
        if self.spooled(kind, name):
            return file_range(self._spool_path(kind, name), start, stop)
        return self.catalog.store.read_range(
            self.catalog.key(kind, self.files.ref, name), start, stop
        )

    def transcript(self) -> tuple[Transcript, str] | None:
        """The parsed transcript and its file name, or None if the session has none. Blocking."""
        name = self.transcript_name()
        if name is None:
            return None
        size, chunks = self.read_range("transcripts", name, 0, MAX_TRANSCRIPT + 1)
        data = b"".join(chunks)
        if len(data) > MAX_TRANSCRIPT:
            raise ValueError(f"{name} is {size} bytes, larger than this viewer reads")
        return read_transcript(name, data.decode("utf-8", "replace")), name
