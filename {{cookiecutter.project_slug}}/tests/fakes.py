"""Scripted fakes that run a whole ``AgentSession`` offline: no network, no API keys.

Every model and the audio I/O are small subclasses of livekit's own base classes, so
the real session machinery (turn detection, LLM and TTS pipelines, chat history,
``RecorderIO``) runs unchanged. Audio is real PCM, paced in real time:

- ``FakeAudioInput`` plays the user: silence, and a tone while the user "speaks".
- ``FakeVAD`` and ``FakeSTT`` hear that tone: the VAD reports start and end of speech,
  the STT emits the next scripted line as a final transcript when the tone stops.
- ``FakeLLM`` answers from a script (text, or a tool call followed by text).
- ``FakeTTS`` turns the reply into a tone as long as the text would take to say.
- ``FakeAudioOutput`` "plays" it in real time and reports playback like a speaker would.

Script a conversation with ``ScriptedConversation``::

    conversation = ScriptedConversation(
        user_turns=["What's the weather in Paris?", "Thanks, bye."],
        agent_replies=[
            "Hi! How can I help?",                       # the greeting, before any user turn
            [ToolCall("lookup_weather", {"city": "Paris"}), "It is sunny in Paris."],
            "Goodbye!",
        ],
    )
    session = conversation.session            # an AgentSession with every fake attached
    await session.start(agent=MyAgent())      # or your own start-up code
    session.generate_reply()                  # speaks agent_replies[0]
    await conversation.run()                  # each user turn, then waits for each reply
    await session.aclose()

``agent_replies[n]`` is what the LLM answers once the user has spoken ``n`` times, so
``agent_replies`` has one more entry than ``user_turns``; use ``""`` for the greeting if
your agent does not greet. A reply may be a list of steps: each ``ToolCall`` step makes
the LLM call that tool (your agent must define it) and the next step answers its output.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from livekit import rtc
from livekit.agents import AgentSession, llm, stt, tts, utils, vad
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions
from livekit.agents.voice.io import AudioInput, AudioOutput, AudioOutputCapabilities

USER_SAMPLE_RATE = 16000
AGENT_SAMPLE_RATE = 24000
FRAME_SECONDS = 0.02
# Real speech runs at about 15 characters a second.
SPEECH_SECONDS_PER_CHAR = 0.065
# Short enough to stay quick, long enough for the VAD to notice.
MIN_SPEECH_SECONDS = 0.2


def speech_seconds(text: str, seconds_per_char: float) -> float:
    """How long saying ``text`` takes, for both the user and the agent."""
    text = text.strip()
    return max(MIN_SPEECH_SECONDS, len(text) * seconds_per_char) if text else 0.0


def tone(seconds: float, *, sample_rate: int, frequency: float, amplitude: float = 0.3) -> bytes:
    """Mono 16-bit PCM: a sine wave (a stand-in for a voice)."""
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return (amplitude * 32767 * np.sin(2 * np.pi * frequency * t)).astype("<i2").tobytes()


def is_voiced(frame: rtc.AudioFrame, threshold: int = 500) -> bool:
    """True when the frame is louder than silence (its peak sample exceeds ``threshold``)."""
    samples = np.frombuffer(frame.data, dtype=np.int16)
    return samples.size > 0 and int(np.abs(samples).max()) > threshold


def frame_of(pcm: bytes, sample_rate: int) -> rtc.AudioFrame:
    return rtc.AudioFrame(
        data=pcm, sample_rate=sample_rate, num_channels=1, samples_per_channel=len(pcm) // 2
    )


# -- audio I/O ---------------------------------------------------------------------------


class FakeAudioInput(AudioInput):
    """The user's microphone: 20 ms frames in real time, a tone while speaking."""

    def __init__(self, *, sample_rate: int = USER_SAMPLE_RATE) -> None:
        super().__init__(label="FakeAudioInput")
        self.sample_rate = sample_rate
        self._frame_bytes = round(FRAME_SECONDS * sample_rate) * 2
        self._pending = bytearray()
        self._clock: float | None = None
        self._frames = 0

    def speak(self, seconds: float) -> None:
        """Queue ``seconds`` of speech; it starts at the next frame."""
        self._pending += tone(seconds, sample_rate=self.sample_rate, frequency=220.0)

    async def __anext__(self) -> rtc.AudioFrame:
        loop = asyncio.get_running_loop()
        if self._clock is None:
            self._clock = loop.time()
        self._frames += 1
        await asyncio.sleep(max(0.0, self._clock + self._frames * FRAME_SECONDS - loop.time()))
        chunk = bytes(self._pending[: self._frame_bytes])
        del self._pending[: self._frame_bytes]
        chunk += b"\x00" * (self._frame_bytes - len(chunk))
        return frame_of(chunk, self.sample_rate)


class FakeAudioOutput(AudioOutput):
    """The user's speaker: plays each flushed segment in real time, can be interrupted."""

    def __init__(self) -> None:
        super().__init__(label="FakeAudioOutput", capabilities=AudioOutputCapabilities(pause=False))
        self._pushed = 0.0
        self._started_at: float | None = None
        self._finish: asyncio.TimerHandle | None = None

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if self._started_at is None:
            self._started_at = time.time()
            self.on_playback_started(created_at=self._started_at)
        self._pushed += frame.duration

    def flush(self) -> None:
        super().flush()
        if self._started_at is None:
            return
        played = time.time() - self._started_at
        pushed = self._pushed
        self._finish = asyncio.get_running_loop().call_later(
            max(0.0, pushed - played), self._finished, pushed, False
        )

    def clear_buffer(self) -> None:
        if self._started_at is None:
            return
        if self._finish is not None:
            self._finish.cancel()
        self._finished(min(self._pushed, time.time() - self._started_at), True)

    def _finished(self, position: float, interrupted: bool) -> None:
        self._pushed, self._started_at, self._finish = 0.0, None, None
        self.on_playback_finished(playback_position=position, interrupted=interrupted)


# -- models ------------------------------------------------------------------------------


class FakeModel:
    """Names a fake as provider "fake" and model ``model_label`` (the transcript header shows
    "fake/<model_label>"). List it before livekit's base class, whose names are "unknown"."""

    model_label: str  # each fake sets its own

    @property
    def model(self) -> str:
        return self.model_label

    @property
    def provider(self) -> str:
        return "fake"


class FakeVAD(FakeModel, vad.VAD):
    """Voice activity from loudness: speech starts after ``min_speech`` seconds of tone
    and ends after ``min_silence`` seconds of quiet."""

    model_label = "loudness"

    def __init__(self, *, min_speech: float = 0.05, min_silence: float = 0.2) -> None:
        super().__init__(capabilities=vad.VADCapabilities(update_interval=FRAME_SECONDS))
        self.min_speech = min_speech
        self.min_silence = min_silence

    def stream(self) -> vad.VADStream:
        return FakeVADStream(self)


class FakeVADStream(vad.VADStream):
    async def _main_task(self) -> None:
        assert isinstance(self._vad, FakeVAD)
        speaking = False
        speech = quiet = 0.0
        async for item in self._input_ch:
            if not isinstance(item, rtc.AudioFrame):  # a flush: start a fresh segment
                speaking, speech, quiet = False, 0.0, 0.0
                continue
            if is_voiced(item):
                speech, quiet = speech + item.duration, 0.0
            else:
                quiet += item.duration
                speech = speech if speaking else 0.0
            self._send(vad.VADEventType.INFERENCE_DONE, item, speech, quiet)
            if not speaking and speech >= self._vad.min_speech:
                speaking = True
                self._send(vad.VADEventType.START_OF_SPEECH, item, speech, quiet)
            elif speaking and quiet >= self._vad.min_silence:
                speaking = False
                self._send(vad.VADEventType.END_OF_SPEECH, item, speech, quiet)

    def _send(
        self, kind: vad.VADEventType, frame: rtc.AudioFrame, speech: float, quiet: float
    ) -> None:
        voiced = quiet == 0.0
        event = vad.VADEvent(
            type=kind,
            samples_index=0,
            timestamp=time.time(),
            speech_duration=speech,
            silence_duration=quiet,
            frames=[frame],
            probability=float(voiced),
            speaking=voiced,
            raw_accumulated_speech=speech if voiced else 0.0,
            raw_accumulated_silence=quiet,
        )
        self._event_ch.send_nowait(event)


class FakeSTT(FakeModel, stt.STT):
    """Transcribes each burst of speech as the next scripted line, in order."""

    model_label = "scripted"

    def __init__(self, lines: Sequence[str], *, finalize_after: float = 0.1) -> None:
        super().__init__(
            capabilities=stt.STTCapabilities(
                streaming=True, interim_results=False, offline_recognize=False
            )
        )
        self.lines = list(lines)
        self.heard = 0
        self.finalize_after = finalize_after

    def next_line(self) -> str:
        """The line for the next burst of speech ("" once the script has run out)."""
        line = self.lines[self.heard] if self.heard < len(self.lines) else ""
        self.heard += 1
        return line

    async def _recognize_impl(self, buffer: Any, *, language: Any, conn_options: Any) -> Any:
        raise NotImplementedError("FakeSTT only streams")

    def stream(
        self, *, language: Any = None, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> stt.RecognizeStream:
        return FakeSTTStream(stt=self, conn_options=conn_options)


class FakeSTTStream(stt.RecognizeStream):
    async def _run(self) -> None:
        assert isinstance(self._stt, FakeSTT)
        heard_speech = False
        quiet = 0.0
        async for item in self._input_ch:
            if not isinstance(item, rtc.AudioFrame):
                continue
            if is_voiced(item):
                heard_speech, quiet = True, 0.0
                continue
            before, quiet = quiet, quiet + item.duration
            if heard_speech and quiet >= self._stt.finalize_after:
                heard_speech = False
                self.send_final(self._stt.next_line())
            elif not heard_speech and int(quiet) > int(before):
                # like a real recognizer, finalize silence now and then (empty text);
                # closing the session waits for such a final transcript
                self.send_final("")

    def send_final(self, text: str) -> None:
        data = stt.SpeechData(language="en", text=text, confidence=1.0 if text else 0.0)
        event = stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT, alternatives=[data])
        self._event_ch.send_nowait(event)


@dataclass
class ToolCall:
    """A scripted tool call: the LLM asks the agent to run ``name(**arguments)``."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


Step = str | ToolCall
Reply = Step | Sequence[Step]


class FakeLLM(FakeModel, llm.LLM):
    """Answers from a script: ``replies[n]`` once the user has spoken ``n`` times.

    The answer depends only on the conversation so far, so a repeated or preemptive
    request gets the same answer. A reply given as a list of steps is played one step
    per request: each completed tool call moves on to the next step.
    """

    model_label = "scripted"

    def __init__(self, replies: Sequence[Reply]) -> None:
        super().__init__()
        self.replies = [[r] if isinstance(r, (str, ToolCall)) else list(r) for r in replies]

    def step_for(self, chat_ctx: llm.ChatContext) -> Step:
        user_turns = 0
        tool_calls = 0
        for item in chat_ctx.items:
            if item.type == "message" and item.role == "user":
                user_turns, tool_calls = user_turns + 1, 0
            elif item.type == "function_call":
                tool_calls += 1
        steps = self.replies[user_turns] if user_turns < len(self.replies) else []
        return steps[tool_calls] if tool_calls < len(steps) else ""

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        **_: Any,
    ) -> llm.LLMStream:
        return FakeLLMStream(self, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class FakeLLMStream(llm.LLMStream):
    async def _run(self) -> None:
        assert isinstance(self._llm, FakeLLM)
        step = self._llm.step_for(self.chat_ctx)
        chunk_id = utils.shortuuid("fake_llm_")
        if isinstance(step, ToolCall):
            call = llm.FunctionToolCall(
                name=step.name,
                arguments=json.dumps(step.arguments),
                call_id=utils.shortuuid("call_"),
            )
            delta = llm.ChoiceDelta(role="assistant", tool_calls=[call])
            self._event_ch.send_nowait(llm.ChatChunk(id=chunk_id, delta=delta))
            return
        for word in step.split(" ") if step else []:
            delta = llm.ChoiceDelta(role="assistant", content=word + " ")
            self._event_ch.send_nowait(llm.ChatChunk(id=chunk_id, delta=delta))
            await asyncio.sleep(0)


class FakeTTS(FakeModel, tts.TTS):
    """Speaks any text as a tone lasting ``seconds_per_char`` per character."""

    model_label = "tone"

    def __init__(self, *, seconds_per_char: float = SPEECH_SECONDS_PER_CHAR) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=AGENT_SAMPLE_RATE,
            num_channels=1,
        )
        self.seconds_per_char = seconds_per_char

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return FakeTTSStream(tts=self, input_text=text, conn_options=conn_options)


class FakeTTSStream(tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        assert isinstance(self._tts, FakeTTS)
        output_emitter.initialize(
            request_id=utils.shortuuid("fake_tts_"),
            sample_rate=self._tts.sample_rate,
            num_channels=1,
            mime_type="audio/pcm",
        )
        seconds = speech_seconds(self.input_text, self._tts.seconds_per_char)
        output_emitter.push(tone(seconds, sample_rate=self._tts.sample_rate, frequency=440.0))
        output_emitter.flush()


# -- the conversation --------------------------------------------------------------------


class ScriptedConversation:
    """An ``AgentSession`` wired to every fake, and the script to play through it.

    ``seconds_per_char`` sets how long both sides take to say a line; the default is
    ten times faster than real speech so that tests stay quick.
    """

    def __init__(
        self,
        user_turns: Sequence[str],
        agent_replies: Sequence[Reply],
        *,
        seconds_per_char: float = SPEECH_SECONDS_PER_CHAR / 10,
    ) -> None:
        if len(agent_replies) != len(user_turns) + 1:
            raise ValueError(
                "agent_replies needs one entry more than user_turns: the first is the "
                "greeting (use '' if the agent does not greet)"
            )
        self.user_turns = list(user_turns)
        self.seconds_per_char = seconds_per_char
        self.stt = FakeSTT(self.user_turns)
        self.llm = FakeLLM(agent_replies)
        self.tts = FakeTTS(seconds_per_char=seconds_per_char)
        self.vad = FakeVAD()
        self.audio_input = FakeAudioInput()
        self.audio_output = FakeAudioOutput()
        self.session = self.create_session()

    def create_session(self) -> AgentSession:
        session: AgentSession = AgentSession(
            stt=self.stt,
            vad=self.vad,
            llm=self.llm,
            tts=self.tts,
            turn_handling={
                "turn_detection": "vad",
                "endpointing": {"min_delay": 0.1, "max_delay": 1.0},
                "interruption": {"mode": "vad", "resume_false_interruption": False},
                "preemptive_generation": {"enabled": False},
            },
            aec_warmup_duration=None,
        )
        session.input.audio = self.audio_input
        session.output.audio = self.audio_output
        return session

    def speech_seconds(self, text: str) -> float:
        return speech_seconds(text, self.seconds_per_char)

    def final_text(self, turn: int) -> str:
        """The last thing the agent says in answer to user turn ``turn``."""
        texts = [step for step in self.llm.replies[turn] if isinstance(step, str)]
        return texts[-1].strip() if texts else ""

    async def run(self, *, timeout: float = 30.0) -> None:
        """Play every user turn, each once the agent has said the reply before it;
        return once the last reply has been said."""
        try:
            await asyncio.wait_for(self._play(), timeout)
        except asyncio.TimeoutError:
            said = [(m.role, m.text_content) for m in self.session.history.messages()]
            raise TimeoutError(f"the scripted conversation stalled; history: {said}") from None

    async def _play(self) -> None:
        for turn, line in enumerate(self.user_turns):
            await self.wait_for_reply(turn)
            self.audio_input.speak(self.speech_seconds(line))
        await self.wait_for_reply(len(self.user_turns))

    async def wait_for_reply(self, turn: int) -> None:
        """Wait until the agent has finished saying its reply to user turn ``turn``."""
        expected = self.final_text(turn)
        if not expected:
            return
        await self.wait_until(lambda: self._said(turn, expected))

    def _said(self, turn: int, expected: str) -> bool:
        users = 0
        for item in self.session.history.messages():
            if item.role == "user":
                users += 1
            elif users == turn and (item.text_content or "").strip() == expected:
                return True
        return False

    async def wait_until(self, condition: Callable[[], bool], poll: float = 0.02) -> None:
        while not condition():
            await asyncio.sleep(poll)
