"""Start a scripted session in a fake job exactly as ``agent.py`` does: ``archive.start``.

A fake job (``fake_job_context``) has no room connection, so the session keeps the fakes'
audio I/O (``room=NOT_GIVEN``), and livekit's shutdown sequence does not run: a test ends
the session with ``archive.close()`` (what ``on_session_end`` does) or a hang-up.
"""

from __future__ import annotations

from livekit.agents import NOT_GIVEN, Agent, AgentSession, JobContext
from livekit.agents.voice.events import CloseReason

from {{ cookiecutter.package_name }} import archive
from {{ cookiecutter.package_name }}.agent import Assistant
from {{ cookiecutter.package_name }}.archive import SessionArchive
from {{ cookiecutter.package_name }}.settings import Settings


async def start_session(
    ctx: JobContext, session: AgentSession, settings: Settings, agent: Agent | None = None
) -> SessionArchive:
    """``agent.my_agent`` with the scripted session: archive.start, then the greeting."""
    ctx.proc.userdata["settings"] = settings
    await archive.start(ctx, session, agent=agent or Assistant(), room=NOT_GIVEN)
    session.generate_reply(instructions="Greet the user and offer your assistance.")
    opened = archive.opened(ctx)
    assert opened is not None
    return opened


def hang_up(session: AgentSession) -> None:
    """What RoomIO does when the caller leaves the room (room_io.py,
    ``_on_participant_disconnected``): close the session, nothing else."""
    session._close_soon(reason=CloseReason.PARTICIPANT_DISCONNECTED)
