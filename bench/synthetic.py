"""A synthetic conversation: real livekit ChatMessage items with realistic metrics.

One turn is a user message followed by the agent's reply (two conversation items),
about 8 s apart, with the text lengths of a typical voice call.
"""

from __future__ import annotations

import random
import time

from livekit.agents import AgentSession, llm
from livekit.agents.voice.events import ConversationItemAddedEvent

WORDS = str.split(
    "the order account delivery refund appointment tomorrow morning please could you check "
    "my card number address email status yes no thanks great what when where why how much "
    "is it possible to change cancel book confirm today next week price plan support help "
    "café naïve über déjà"
)


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + rng.choice(".?!")


def turn_items(turns: int, *, seed: int = 7, start: float | None = None) -> list[llm.ChatMessage]:
    """``2 * turns`` chat messages in conversation order."""
    rng = random.Random(seed)
    clock = time.time() - turns * 8.0 if start is None else start
    items = []
    for _ in range(turns):
        user_start = clock
        user_stop = user_start + rng.uniform(1.0, 4.0)
        items.append(
            llm.ChatMessage(
                role="user",
                content=[sentence(rng, rng.randint(4, 20))],
                created_at=user_stop + 0.3,
                transcript_confidence=rng.uniform(0.8, 1.0),
                metrics={
                    "started_speaking_at": user_start,
                    "stopped_speaking_at": user_stop,
                    "transcription_delay": rng.uniform(0.1, 0.4),
                    "end_of_turn_delay": rng.uniform(0.3, 0.9),
                    "on_user_turn_completed_delay": rng.uniform(0.0, 0.01),
                },
            )
        )
        agent_start = user_stop + rng.uniform(0.6, 1.5)
        agent_stop = agent_start + rng.uniform(2.0, 6.0)
        items.append(
            llm.ChatMessage(
                role="assistant",
                content=[" ".join(sentence(rng, rng.randint(6, 18)) for _ in range(2))],
                created_at=agent_start,
                interrupted=rng.random() < 0.1,
                metrics={
                    "started_speaking_at": agent_start,
                    "stopped_speaking_at": agent_stop,
                    "llm_node_ttft": rng.uniform(0.2, 0.6),
                    "tts_node_ttfb": rng.uniform(0.1, 0.3),
                    "e2e_latency": rng.uniform(0.6, 1.4),
                },
            )
        )
        clock = agent_stop + rng.uniform(0.5, 2.0)
    return items


def add_to_history(session: AgentSession, item: llm.ChatMessage) -> ConversationItemAddedEvent:
    """What livekit does before emitting ``conversation_item_added``; returns the event."""
    session.history.insert(item)
    return ConversationItemAddedEvent(item=item)
