"""Everything kept of one session: its transcript and recording, saved durably.

``SessionArchive`` captures the transcript live from the start of the session and,
when the session ends, renders the final transcript, spools it (and the recording)
on local disk and uploads both in parallel within the shutdown budget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from livekit.agents import AgentSession, JobContext

{%- if cookiecutter.recording != "none" %}
from .recording import Recording
{%- endif %}
from .settings import Settings
from .storage import ObjectStore, layout
from .storage.spool import SaveResult, Spool, save
from .transcript import TRANSCRIPT_FORMAT
from .transcript.capture import TranscriptCapture
from .transcript.formats import FORMATS
from .transcript.model import SessionInfo, Transcript
{%- if cookiecutter.transcript_redaction == "pii" %}
from .transcript.redaction import redact_entry
{%- endif %}

logger = logging.getLogger("{{ cookiecutter.package_name }}.archive")


def model_name(component: Any) -> str:
    if component is None:
        return ""
    provider = getattr(component, "provider", "") or ""
    model = getattr(component, "model", "") or type(component).__name__
    return f"{provider}/{model}" if provider and provider != "unknown" else str(model)


class SessionArchive:
    def __init__(self, settings: Settings, store: ObjectStore, info: SessionInfo) -> None:
        self.settings = settings
        self.store = store
        self.info = info
        self.spool = Spool(settings.spool_dir)
        self.transcript_key = self.key("transcripts", f"transcript.{FORMATS[TRANSCRIPT_FORMAT].extension}")
        self.capture = TranscriptCapture(
            info,
            self.spool.path(self.key("transcripts", "transcript.partial.jsonl")),
{%- if cookiecutter.transcript_redaction == "pii" %}
            redact=redact_entry,
{%- endif %}
        )
        self._saved: list[SaveResult] | None = None
{%- if cookiecutter.recording != "none" %}
        self.recording: Recording | None = None
{%- endif %}

    @classmethod
    def for_job(cls, ctx: JobContext, settings: Settings, store: ObjectStore) -> SessionArchive:
        info = SessionInfo(
            room=ctx.room.name or ctx.job.room.name,
            room_id=ctx.job.room.sid,
            job_id=ctx.job.id,
            agent_name=ctx.job.agent_name,
            started_at=time.time(),
        )
        return cls(settings, store, info)

    def key(self, kind: str, filename: str) -> str:
        return layout.object_key(
            self.settings.storage_prefix,
            kind,
            filename,
            room=self.info.room,
            job_id=self.info.job_id,
            started_at=self.info.started_at or time.time(),
        )

    def attach(self, session: AgentSession) -> None:
        """Start live capture. Call before ``session.start()``."""
        self.info.models = {
            "stt": model_name(session.stt),
            "llm": model_name(session.llm),
            "tts": model_name(session.tts),
        }
        self.capture.attach(session)
        session.on("close", lambda event: setattr(self.info, "close_reason", str(event.reason.value)))

    async def close(self, session: AgentSession) -> list[SaveResult]:
        """Finish the transcript{% if cookiecutter.recording != "none" %} and recording{% endif %}, then spool and upload them.

        Call after the session closed. Safe to call more than once.
        """
        if self._saved is not None:
            return self._saved
        self._saved = []
        self.info.ended_at = time.time()
        self.info.close_reason = self.info.close_reason or "job_shutdown"
        recording_file = None
{%- if cookiecutter.recording != "none" %}
        if self.recording is not None:
            self.info.recording, recording_file = await self.recording.finish()
{%- endif %}
        self.capture.reconcile(list(session.history.items))
        transcript = Transcript(self.info, list(self.capture.entries))
        keys = await asyncio.to_thread(self._spool_files, transcript, recording_file)
        timeout = self.settings.upload_timeout
        self._saved = list(
            await asyncio.gather(*(save(self.store, self.spool, key, timeout=timeout) for key in keys))
        )
        return self._saved

    def _spool_files(self, transcript: Transcript, recording_file: Path | None) -> list[str]:
        """Blocking: write the final transcript and adopt the recording into the spool."""
        keys = []
        if recording_file is not None and recording_file.exists():
            key = self.key("recordings", "recording" + recording_file.suffix)
            self.spool.adopt(recording_file, key)
            keys.append(key)
            self.info.recording = (self.info.recording or {}) | {
                "location": f"{self.store.describe()}/{key}"
            }
        self.capture.finish(self.info)
        body = FORMATS[TRANSCRIPT_FORMAT].render(transcript)
        self.spool.write(self.transcript_key, body.encode("utf-8"))
        # the final transcript is on disk (fsynced): the live journal is no longer needed
        self.capture.journal.path.unlink(missing_ok=True)
        keys.append(self.transcript_key)
        return keys
