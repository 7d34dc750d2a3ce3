"""Everything kept of one session: its transcript and recording, saved durably.

``SessionArchive`` captures the transcript live from the start of the session and,
when the session ends, renders the final transcript, spools it (and the recording)
on local disk and uploads both in parallel within the shutdown budget.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from pathlib import Path
from typing import Any

from livekit.agents import AgentSession, CloseEvent, JobContext
{% if cookiecutter.recording != "none" %}
from .recording import Recording
{%- endif %}
from .settings import Settings
from .storage import ObjectStore, layout
{%- if cookiecutter.recording != "none" %}
from .storage.base import one_line
{%- endif %}
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
        extension = FORMATS[TRANSCRIPT_FORMAT].extension
        self.transcript_key = self.key("transcripts", f"transcript.{extension}")
        self.capture = TranscriptCapture(
            info,
            self.spool.path(self.key("transcripts", "transcript.partial.jsonl")),
{%- if cookiecutter.transcript_redaction == "pii" %}
            redact=redact_entry,
{%- endif %}
        )
        self._closing: asyncio.Future[list[SaveResult]] | None = None
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
        session.on("close", self._on_close)

    def _on_close(self, event: CloseEvent) -> None:
        self.info.close_reason = str(event.reason.value)

    async def close(self, session: AgentSession) -> list[SaveResult]:
        """Finish the transcript{% if cookiecutter.recording != "none" %} and recording{% endif %}, then spool and upload them.

        Call after the session closed. Safe to call more than once: every call waits for
        the same save, which a cancelled caller does not interrupt.
        """
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._save(session))
        return await asyncio.shield(self._closing)

    async def _save(self, session: AgentSession) -> list[SaveResult]:
        self.info.ended_at = time.time()
        self.info.close_reason = self.info.close_reason or "job_shutdown"
        recording_file = None
{%- if cookiecutter.recording != "none" %}
        if self.recording is not None:
            try:
                self.info.recording, recording_file = await self.recording.finish()
            except Exception as error:  # the transcript is saved regardless
                logger.exception("finishing the recording failed")
                self.info.recording = {"status": "failed", "error": one_line(error)}
{%- endif %}
        history = list(session.history.items)  # copied on the loop; the rest is O(turns)
        # A full garbage collection walks every object of the session, holding the GIL
        # (and so the loop) for tens of ms. The job process exits after the job, so keep
        # the rendering's collections to what it allocates itself.
        gc.freeze()
        transcript = await asyncio.to_thread(self._final_transcript, history)
        keys = await asyncio.to_thread(self._spool_files, transcript, recording_file)
        timeout = self.settings.upload_timeout
        saves = (save(self.store, self.spool, key, timeout=timeout) for key in keys)
        return list(await asyncio.gather(*saves))

    def _final_transcript(self, history_items: list[Any]) -> Transcript:
        """Blocking: merge the session history into the live capture (off the loop)."""
        self.capture.reconcile(history_items)
        return Transcript(self.info, self.capture.final_entries())

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
        self.spool.write_text(self.transcript_key, FORMATS[TRANSCRIPT_FORMAT].chunks(transcript))
        # the final transcript is on disk (fsynced): the live journal is no longer needed
        self.capture.journal.path.unlink(missing_ok=True)
        keys.append(self.transcript_key)
        return keys
