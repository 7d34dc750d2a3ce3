"""What a worker needs before it takes a call, checked before it starts: one line each.

livekit's worker would otherwise start without keys and fail at the first call (or,
with a placeholder URL, retry for minutes) and still exit 0.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .settings import ConfigError, Settings

# The value .env.example ships with.
PLACEHOLDER_URL = "wss://your-project.livekit.cloud"
REQUIRED = {
    "LIVEKIT_API_KEY": "the LiveKit project's API key",
    "LIVEKIT_API_SECRET": "the LiveKit project's API secret",
    "DEEPGRAM_API_KEY": "Deepgram speech-to-text",
    "OPENAI_API_KEY": "the OpenAI LLM and text-to-speech",
}
# `start --url ... --api-key ... --api-secret ...` give these on the command line instead.
OPTION_FOR = {
    "LIVEKIT_URL": "--url",
    "LIVEKIT_API_KEY": "--api-key",
    "LIVEKIT_API_SECRET": "--api-secret",
}


def problems(env: Mapping[str, str] | None = None, options: tuple[str, ...] = ()) -> list[str]:
    """Everything missing or unusable, one line per problem (empty when ready)."""
    env = os.environ if env is None else env
    given = {name for name, option in OPTION_FOR.items() if given_option(option, options)}
    found = []
    url = (env.get("LIVEKIT_URL") or "").strip()
    if "LIVEKIT_URL" in given:
        pass
    elif not url:
        found.append("LIVEKIT_URL is not set: your LiveKit server (wss://...)")
    elif url.rstrip("/") == PLACEHOLDER_URL:
        found.append(f"LIVEKIT_URL is the .env.example placeholder {url}: set your server's URL")
    elif not url.startswith(("ws://", "wss://", "http://", "https://")):
        found.append(f"LIVEKIT_URL={url!r} is not a ws://, wss:// or https:// URL")
    for name, why in REQUIRED.items():
        if name not in given and not (env.get(name) or "").strip():
            found.append(f"{name} is not set: {why}")
    try:
        Settings.from_env(env)  # storage settings, and a spool it can write (startup.py)
    except ConfigError as error:
        found.append(str(error))
    return found


def given_option(option: str, args: tuple[str, ...]) -> bool:
    return any(arg == option or arg.startswith(f"{option}=") for arg in args)
