"""The agent's own recording: a stereo Ogg/Opus file (user left, agent right).

livekit's RecorderIO writes it to the job's temporary session directory; when the
session ends we take it from the session report and hand it to storage before that
directory is deleted.

``session.start(record=...)`` also decides what goes to LiveKit Cloud's Agent
Observability. We ask for audio and leave the rest to the LiveKit project's settings:

- project recording on: ``record`` is left unset, so the project decides everything;
- project recording off: audio only, plus the transcript when the project enables
  redaction (livekit refuses audio without it). On a LiveKit Cloud URL RecorderIO's
  audio, and then that redacted transcript, are uploaded to Cloud as well; on a
  self-hosted server nothing leaves the worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livekit.agents import AgentSession, JobContext, RecordingOptions

from ..settings import Settings
from ..storage.layout import ObjectKey
from ..transcript.model import iso_utc
from .notice import RECORDING_NOTICE

CHANNELS = "stereo: user left, agent right"


class AgentAudioRecording:
    def __init__(
        self, ctx: JobContext, session: AgentSession, settings: Settings, key: ObjectKey
    ) -> None:
        # ``key`` is for egress, which writes its file itself; the archive names this one
        self.ctx = ctx
        self.session = session

    def start_options(self) -> dict[str, Any]:
        """The ``session.start()`` arguments that turn on RecorderIO."""
        job = self.ctx.job
        if job.enable_recording:
            return {}
        record = RecordingOptions(
            audio=True, traces=False, logs=False, transcript=bool(job.enable_redaction)
        )
        return {"record": record}

    def started(self) -> None:
        """Say the recording notice before anything else."""
        if RECORDING_NOTICE:
            self.session.say(RECORDING_NOTICE, allow_interruptions=False)

    async def finish(self) -> tuple[dict[str, Any], Path | None]:
        """The recording's header entry and file. Call after the session closed."""
        report = self.ctx.make_session_report(self.session)
        path = Path(report.audio_recording_path) if report.audio_recording_path else None
        if path is None or not path.exists() or path.stat().st_size == 0:
            missing = {"kind": "agent_audio", "status": "missing", "error": "no audio was recorded"}
            return missing, None
        info = {
            "kind": "agent_audio",
            "status": "complete",
            "format": f"ogg/opus, {CHANNELS}",
            "channels": CHANNELS,
            "started_at": iso_utc(report.audio_recording_started_at),
        }
        return info, path
