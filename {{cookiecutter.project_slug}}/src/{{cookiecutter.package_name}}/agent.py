"""The LiveKit Voice AI quickstart agent, with recording and transcripts wired in."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time

from livekit.agents import NOT_GIVEN, Agent, AgentServer, AgentSession, JobContext, JobProcess
from livekit.plugins import deepgram, openai, silero

from .archive import SessionArchive
{%- if cookiecutter.recording != "none" %}
from .recording import Recording
{%- endif %}
from .settings import GIL_SWITCH_INTERVAL, SHUTDOWN_PROCESS_TIMEOUT, Settings
from .storage import open_store
from .storage.base import one_line
from .storage.spool import Spool, flush

logger = logging.getLogger("{{ cookiecutter.package_name }}")

AGENT_NAME = {{ cookiecutter.agent_name | tojson }}
{%- if cookiecutter.recording != "none" and cookiecutter.recording_notice %}
# Said before anything else; many jurisdictions require telling callers they are recorded.
{%- set notice = cookiecutter.recording_notice | py_string %}
RECORDING_NOTICE = {{ notice }}{% if notice | length > 81 %}  # noqa: E501{% endif %}
{%- endif %}


class Assistant(Agent):
    def __init__(self) -> None:
        super().__init__(
            instructions="""You are a helpful voice AI assistant.
            You eagerly assist users with their questions by providing information from your
            extensive knowledge. Your responses are concise, to the point, and without any
            complex formatting or punctuation including emojis, asterisks, or other symbols.
            You are curious, friendly, and have a sense of humor.""",
        )


def create_session(vad: silero.VAD) -> AgentSession:
    """The quickstart pipeline: Deepgram STT, OpenAI LLM and TTS, Silero VAD."""
    return AgentSession(
        stt=deepgram.STT(model="nova-3", language="multi"),
        llm=openai.LLM(model="gpt-4.1-mini"),
        tts=openai.TTS(voice="ash"),
        vad=vad,
    )


def flush_spool_in_background(settings: Settings) -> threading.Thread:
    """Upload what earlier runs left in the spool, then load the storage SDK and client,
    so neither delays start-up nor the first session's uploads."""

    def run() -> None:
        store = open_store(settings.storage)
        results = flush(store, Spool(settings.spool_dir))
        failed = [r for r in results if not r.ok and r.spooled_at]
        if results:
            uploaded = len(results) - len(failed)
            logger.info("spool flush: %d uploaded, %d kept", uploaded, len(failed))
        started = time.perf_counter()
        try:
            store.open()
        except Exception as error:
            logger.warning("storage not opened ahead (uploads open it again): %s", one_line(error))
            return
        logger.debug("storage opened in %.0f ms", (time.perf_counter() - started) * 1000)
        gc.freeze()  # the SDK's modules join prewarm's frozen start-up objects

    thread = threading.Thread(target=run, name="spool-flush", daemon=True)
    thread.start()
    return thread


def prewarm(proc: JobProcess) -> None:
    proc.userdata["vad"] = silero.VAD.load()
    prepare_process(proc)


def prepare_process(proc: JobProcess) -> None:
    """Prewarm's work besides the VAD: settings, spool flush, GIL and GC tuning."""
    proc.userdata["settings"] = settings = Settings.from_env()
    flush_spool_in_background(settings)
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    # Keep what start-up allocated out of later full collections (long GIL pauses).
    gc.freeze()


async def start_session(
    ctx: JobContext, session: AgentSession, settings: Settings, agent: Agent | None = None
) -> SessionArchive:
    """Start ``session`` with live transcript capture and recording.

    Returns the archive; the caller arranges for ``archive.close`` to run at the end
    (the entrypoint registers it as a shutdown callback).
    """
    archive = SessionArchive.for_job(ctx, settings, open_store(settings.storage))
    archive.attach(session)
{%- if cookiecutter.recording != "none" %}
    recording = Recording(ctx, session, settings)
    archive.recording = recording
{%- endif %}
    # A fake job (tests) has no room connection: the session keeps its own audio I/O.
    room = ctx.room if ctx.room.isconnected() or not ctx.is_fake_job() else NOT_GIVEN
    await session.start(
        agent=agent or Assistant(),
        room=room,
{%- if cookiecutter.recording == "agent_audio" %}
        record=recording.record_options,
{%- else %}
        record=False,
{%- endif %}
    )
{%- if cookiecutter.recording in ["egress_audio", "egress_video"] %}
    # Egress is asked to start once the room is connected; it reaches ACTIVE a few
    # seconds later, so the first words may be missing from the egress file.
    await recording.start()
{%- endif %}
{%- if cookiecutter.recording != "none" and cookiecutter.recording_notice %}
    session.say(RECORDING_NOTICE, allow_interruptions=False)
{%- endif %}
    session.generate_reply(instructions="Greet the user and offer your assistance.")
    return archive


async def run_job(
    ctx: JobContext, session: AgentSession, agent: Agent | None = None
) -> SessionArchive:
    """The job: start ``session``; ``archive.close`` saves what it kept when the job shuts down."""
    ctx.log_context_fields = {"room": ctx.room.name}
    archive = await start_session(ctx, session, ctx.proc.userdata["settings"], agent)

    async def save_session(reason: str) -> None:
        await archive.close(session)

    ctx.add_shutdown_callback(save_session)
    return archive


server = AgentServer(shutdown_process_timeout=SHUTDOWN_PROCESS_TIMEOUT)
server.setup_fnc = prewarm


@server.rtc_session(agent_name=AGENT_NAME)
async def entrypoint(ctx: JobContext) -> None:
    await run_job(ctx, create_session(ctx.proc.userdata["vad"]))
