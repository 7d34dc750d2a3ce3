"""Everything kept of one session: its transcript{% if cookiecutter.recording != "none" %} and recording{% endif %}, saved when the call ends.

``agent.py`` needs three names from here:

- ``start(ctx, session, agent=...)`` instead of ``session.start(...)``: live capture of
  the transcript (a crash-safe journal){% if cookiecutter.recording != "none" %}, the recording{% if cookiecutter.recording_notice %} and its notice{% endif %}{% endif %}; when the
  session closes for any reason (the caller hung up, an error, a drain), the job is
  asked to end, so the save starts at once instead of when LiveKit closes the room.
- ``save``, the ``rtc_session(on_session_end=...)`` callback: {% if cookiecutter.recording in ["egress_audio", "egress_video"] %}stops egress, {% endif %}renders
  the final transcript from ``session.history``, spools{% if cookiecutter.recording == "agent_audio" %} it and the recording{% else %} it{% endif %} and uploads.
  It is also a shutdown callback, as a fallback; it runs once.
- ``SERVER_OPTIONS`` and ``prewarm``: the timeouts that shutdown order needs, the storage
  SDK loaded once for all job processes, and the start-up flush of files that earlier
  runs could not upload.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any

from livekit.agents import Agent, AgentSession, CloseEvent, JobContext, JobProcess

{% if cookiecutter.recording != "none" -%}
from .recording import Recording
{% endif -%}
from .settings import DRAIN_TIMEOUT, SESSION_END_TIMEOUT, SHUTDOWN_PROCESS_TIMEOUT, Settings
from .storage import STORE_MODULE, ObjectStore, layout, open_store
from .storage.base import one_line
from .storage.spool import SaveResult, Spool, flush, save_from
from .transcript import TRANSCRIPT_FORMAT
from .transcript.capture import TranscriptCapture
from .transcript.formats import FORMATS
from .transcript.model import Entry, SessionInfo, Transcript
{%- if cookiecutter.transcript_redaction == "pii" %}
from .transcript.redaction import redact_entry, redact_room
{%- endif %}

logger = logging.getLogger("{{ cookiecutter.package_name }}.archive")

SERVER_OPTIONS: dict[str, Any] = {
    "session_end_timeout": SESSION_END_TIMEOUT,
    "shutdown_process_timeout": SHUTDOWN_PROCESS_TIMEOUT,
    "drain_timeout": DRAIN_TIMEOUT,
    "preload_modules": [STORE_MODULE],
}
_archives: weakref.WeakKeyDictionary[JobContext, SessionArchive] = weakref.WeakKeyDictionary()


def prewarm(proc: JobProcess) -> None:
    """Read the settings once per process; upload what earlier runs left in the spool."""
    proc.userdata["settings"] = settings = Settings.from_env()
    threading.Thread(target=flush_spool, args=(settings,), name="spool-flush", daemon=True).start()


def flush_spool(settings: Settings) -> None:
    """Upload what earlier runs left in the spool; then load the storage SDK and client,
    so that neither delays the first session's uploads."""
    store = open_store(settings.storage)
    results = flush(store, Spool(settings.spool_dir))
    if results:
        kept = sum(1 for r in results if not r.ok and r.spooled_at)
        logger.info("spool flush: %d uploaded, %d kept", len(results) - kept, kept)
    started = time.perf_counter()
    try:
        store.open()
    except Exception as error:
        logger.warning("storage not opened ahead (uploads open it again): %s", one_line(error))
        return
    logger.debug("storage opened in %.0f ms", (time.perf_counter() - started) * 1000)


async def start(ctx: JobContext, session: AgentSession, *, agent: Agent, **options: Any) -> None:
    """``session.start(agent=agent, room=ctx.room, **options)``, archived until the end."""
    settings = ctx.proc.userdata.get("settings") or Settings.from_env()
    archive = SessionArchive.for_job(ctx, session, settings)
{%- if cookiecutter.transcript_redaction == "pii" %}
    ctx.log_context_fields = {**ctx.log_context_fields, "room": archive.info.room}  # masked
{%- endif %}
    options.setdefault("room", ctx.room)
{%- if cookiecutter.recording != "none" %}
    archive.recording = recording = Recording(ctx, session, settings, archive.key)
    options.update(recording.start_options())
{%- endif %}
    try:
        await session.start(agent=agent, **options)
    except BaseException as error:
        archive.info.error = f"the session did not start: {one_line(error)}"
        raise
{%- if cookiecutter.recording != "none" %}
    recording.started()
{%- endif %}


async def save(ctx: JobContext) -> None:
    """on_session_end: save the session this job archived (a no-op if it saved already)."""
    archive = _archives.get(ctx)
    if archive is not None:
        await archive.close()


def opened(ctx: JobContext) -> SessionArchive | None:
    """The archive ``start`` opened for this job, if any."""
    return _archives.get(ctx)


def model_name(component: Any) -> str:
    if component is None:
        return ""
    provider = getattr(component, "provider", "") or ""
    model = getattr(component, "model", "") or type(component).__name__
    return f"{provider}/{model}" if provider and provider != "unknown" else str(model)


class SessionArchive:
    def __init__(
        self, session: AgentSession, settings: Settings, store: ObjectStore, info: SessionInfo
    ) -> None:
        self.session = session
        self.settings = settings
        self.store = store
        self.info = info
        self.spool = Spool(settings.spool_dir)
        # keys of their own even for two sessions of one job: no shared journal, no `-2`
        self.session_id = layout.new_session_id()
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
    def for_job(cls, ctx: JobContext, session: AgentSession, settings: Settings) -> SessionArchive:
        """Archive ``session`` from now on: call before ``session.start()``."""
        room = ctx.room.name or ctx.job.room.name
        info = SessionInfo(
{%- if cookiecutter.transcript_redaction == "pii" %}
            room=redact_room(room),  # in the header and in every object key
{%- else %}
            room=room,
{%- endif %}
            room_id=ctx.job.room.sid,
            job_id=ctx.job.id,
            agent_name=ctx.job.agent_name,
            started_at=time.time(),
            models={
                "stt": model_name(session.stt),
                "llm": model_name(session.llm),
                "tts": model_name(session.tts),
            },
        )
        archive = cls(session, settings, open_store(settings.storage), info)
        archive.capture.attach(session)

        def on_close(event: CloseEvent) -> None:
            # A hang-up closes only the session (RoomIO's close_on_disconnect); end the job
            # too, so that on_session_end saves now, not when LiveKit closes the room.
            archive.info.ended_at = time.time()
            archive.info.close_reason = str(event.reason.value)
            if event.error is not None:
                archive.info.error = archive.info.error or one_line(event.error)
            ctx.shutdown(reason=f"session closed: {archive.info.close_reason}")

        session.on("close", on_close)
        ctx.add_shutdown_callback(lambda _reason: archive.close())
        _archives[ctx] = archive
        return archive

    def key(self, kind: str, filename: str) -> str:
        return layout.object_key(
            self.settings.storage_prefix,
            kind,
            filename,
            room=self.info.room,
            job_id=self.info.job_id,
            started_at=self.info.started_at or time.time(),
            session=self.session_id,
        )

    async def close(self) -> list[SaveResult]:
        """Close the session if still open, then save. Every call waits for the one save,
        which a cancelled caller does not interrupt."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._save())
        return await asyncio.shield(self._closing)

    async def _save(self) -> list[SaveResult]:
        await self.session.aclose()  # no-op once closed; RecorderIO finishes its file here
        self.info.ended_at = self.info.ended_at or time.time()
        self.info.close_reason = self.info.close_reason or "job_shutdown"
        files: list[tuple[str, Path]] = []
{%- if cookiecutter.recording != "none" %}
        if self.recording is not None:
            recording_file = await self._finish_recording()
            if recording_file is not None:
                files.append(recording_file)
{%- endif %}
        history = list(self.session.history.items)  # copied on the loop; the rest off it
        # The session's objects are done changing: freeze them, so that a full collection
        # during the render walks only what it allocates. Measured (bench row 1): 18-29 ms
        # loop stalls at 2,000 turns without it, the floor with it. A job process ends with
        # its job, so nothing frozen here outlives it.
        gc.freeze()
        files.append(await asyncio.to_thread(self._spool_transcript, history))
        return list(await asyncio.gather(*(self._upload(key, path) for key, path in files)))

    async def _upload(self, key: str, path: Path) -> SaveResult:
        """Upload one file: from the spool (kept there on failure), or, when the spool
        could not take it, straight from where it is, both within UPLOAD_TIMEOUT."""
        spooled = path.resolve().is_relative_to(self.spool.root.resolve())
        timeout = self.settings.upload_timeout
        result = await save_from(self.store, self.spool, key, path, timeout=timeout)
        if key == self.transcript_key and not spooled:  # from a temporary file
            if result.ok:
                self.capture.journal.path.unlink(missing_ok=True)
                path.unlink(missing_ok=True)
            elif self.capture.journal.path.exists():
                logger.error("the live journal %s stays for flush", self.capture.journal.path)
        return result
{%- if cookiecutter.recording != "none" %}

    async def _finish_recording(self) -> tuple[str, Path] | None:
        """Stop the recording; move its file into the spool first of all (the job's temp
        directory is deleted when the job ends). Returns its key and where it is."""
        assert self.recording is not None
        try:
            self.info.recording, source = await self.recording.finish()
        except Exception as error:  # the transcript is saved regardless
            logger.exception("finishing the recording failed")
            self.info.recording = {"status": "failed", "error": one_line(error)}
            return None
        if source is None:
            return None
        key = self.key("recordings", "recording" + source.suffix)
        self.info.recording["location"] = f"{self.store.describe()}/{key}"
        try:
            return key, await asyncio.to_thread(self.spool.adopt, source, key)
        except OSError as error:  # a full or broken spool: upload from where it is
            logger.error(
                "recording not spooled (%s); uploading it from %s", one_line(error), source
            )
            return key, source
{%- endif %}

    def _spool_transcript(self, history: list[Any]) -> tuple[str, Path]:
        """Blocking: the final transcript, from ``session.history`` (ordered and complete;
        the live journal is only the crash backup), written into the spool."""
        entries = [entry for item in history if (entry := Entry.from_item(item)) is not None]
{%- if cookiecutter.transcript_redaction == "pii" %}
        entries = [redact_entry(entry) for entry in entries]
{%- endif %}
        self.transcript = Transcript(self.info, entries)
        self.capture.finish(self.info)
        chunks = FORMATS[TRANSCRIPT_FORMAT].chunks(self.transcript)
        try:
            path = self.spool.write_text(self.transcript_key, chunks)
        except OSError as error:  # a full or broken spool: upload from a temporary file
            logger.error("transcript not spooled (%s); uploading it directly", one_line(error))
            return self.transcript_key, self._write_elsewhere()
        # the final transcript is on disk (fsynced): the live journal is no longer needed
        self.capture.journal.path.unlink(missing_ok=True)
        return self.transcript_key, path

    def _write_elsewhere(self) -> Path:
        """The final transcript in the system's temporary directory (another disk, often)."""
        extension = FORMATS[TRANSCRIPT_FORMAT].extension
        chunks = FORMATS[TRANSCRIPT_FORMAT].chunks(self.transcript)
        with tempfile.NamedTemporaryFile("wb", suffix=f".{extension}", delete=False) as out:
            out.writelines(chunk.encode("utf-8") for chunk in chunks)
        return Path(out.name)
