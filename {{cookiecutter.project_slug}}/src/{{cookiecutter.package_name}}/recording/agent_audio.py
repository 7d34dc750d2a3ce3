"""The agent's own recording: a stereo Ogg/Opus file (user left, agent right).

livekit's RecorderIO writes it to the job's temporary session directory; when the
session ends we take it from the session report and hand it to storage before that
directory is deleted. Only audio is recorded: no traces or logs go to LiveKit Cloud.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livekit.agents import AgentSession, JobContext, RecordingOptions

from ..settings import Settings
from ..transcript.model import iso_utc


class AgentAudioRecording:
    record_options = RecordingOptions(audio=True, traces=False, logs=False, transcript=False)

    def __init__(self, ctx: JobContext, session: AgentSession, settings: Settings) -> None:
        self.ctx = ctx
        self.session = session

    async def start(self) -> None:
        """Nothing to do: RecorderIO starts with ``session.start(record=...)``."""

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
            "format": "ogg/opus, stereo: user left, agent right",
            "started_at": iso_utc(report.audio_recording_started_at),
        }
        return info, path
