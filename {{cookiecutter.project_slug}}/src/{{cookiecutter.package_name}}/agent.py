"""The LiveKit Voice AI quickstart agent; ``archive`` saves every session it runs."""

from __future__ import annotations

import logging

from dotenv import load_dotenv
from livekit.agents import Agent, AgentServer, AgentSession, JobContext, JobProcess, cli
from livekit.plugins import deepgram, openai, silero

from . import archive

logger = logging.getLogger("{{ cookiecutter.package_name }}")

load_dotenv(".env.local")

AGENT_NAME = {{ cookiecutter.agent_name | tojson }}


class Assistant(Agent):
    def __init__(self) -> None:
        super().__init__(
            instructions="""You are a helpful voice AI assistant.
            You eagerly assist users with their questions by providing information from your
            extensive knowledge. Your responses are concise, to the point, and without any
            complex formatting or punctuation including emojis, asterisks, or other symbols.
            You are curious, friendly, and have a sense of humor.""",
        )


server = AgentServer(**archive.SERVER_OPTIONS)


def prewarm(proc: JobProcess) -> None:
    proc.userdata["vad"] = silero.VAD.load()
    archive.prewarm(proc)


server.setup_fnc = prewarm


@server.rtc_session(agent_name=AGENT_NAME, on_session_end=archive.save)
async def my_agent(ctx: JobContext) -> None:
    ctx.log_context_fields = {"room": ctx.room.name}

    session = AgentSession(
        stt=deepgram.STT(model="nova-3", language="multi"),
        llm=openai.LLM(model="gpt-4.1-mini"),
        tts=openai.TTS(voice="ash"),
        vad=ctx.proc.userdata["vad"],
    )

    # session.start(), with the transcript{% if cookiecutter.recording != "none" %} and recording{% endif %} kept until the call ends
    await archive.start(ctx, session, agent=Assistant())

    session.generate_reply(instructions="Greet the user and offer your assistance.")


if __name__ == "__main__":
    cli.run_app(server)
