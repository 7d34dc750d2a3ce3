"""Cold-start probe, "without": the plain LiveKit quickstart agent, no recording or
transcripts. Same plugins as the generated agent. Prints import and prewarm seconds.
"""

import time

started = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from livekit.agents import Agent, AgentServer, AgentSession, JobContext, JobProcess  # noqa: E402
from livekit.plugins import deepgram, openai, silero  # noqa: E402


class Assistant(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are a helpful voice AI assistant.")


def prewarm(proc: JobProcess) -> None:
    proc.userdata["vad"] = silero.VAD.load()


server = AgentServer()
server.setup_fnc = prewarm


@server.rtc_session(agent_name="quickstart")
async def entrypoint(ctx: JobContext) -> None:
    session = AgentSession(
        stt=deepgram.STT(model="nova-3", language="multi"),
        llm=openai.LLM(model="gpt-4.1-mini"),
        tts=openai.TTS(voice="ash"),
        vad=ctx.proc.userdata["vad"],
    )
    await session.start(agent=Assistant(), room=ctx.room)
    session.generate_reply(instructions="Greet the user and offer your assistance.")


imported = time.perf_counter()
prewarm(SimpleNamespace(userdata={}))
done = time.perf_counter()
print(json.dumps({"import": imported - started, "prewarm": done - imported}), flush=True)
# Skip interpreter teardown: not part of a cold start, and its CPU burst (~0.6 s to
# collect a heap that prewarm did not freeze) slowed whichever probe ran next.
os._exit(0)
