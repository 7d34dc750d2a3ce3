"""Settings read from the environment (``.env.local``), checked once at start-up.

A missing or invalid setting raises ``ConfigError`` with one line that names the
variable to set, so a worker refuses to start instead of failing at the end of a call.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the storage backends import ConfigError and the env helpers from here
    from .storage import StorageConfig

# livekit's shutdown order for a job (ipc/job_proc_lazy_main.py, 1.8.9): the session
# closes, then on_session_end runs (our save: egress stop, render, uploads), capped at
# SESSION_END_TIMEOUT; then LiveKit Cloud's own report upload (Cloud URLs only), then the
# room disconnects and the process has SHUTDOWN_PROCESS_TIMEOUT to exit.
SESSION_END_TIMEOUT = 60.0
# Inside SESSION_END_TIMEOUT, kept for stopping egress (10 s) and rendering.
SESSION_END_RESERVE = 20.0
SHUTDOWN_PROCESS_TIMEOUT = 15.0
# A draining worker (SIGTERM) waits this long for calls to end by themselves, then asks
# the rest to end (each then saves as above). deploy/kubernetes and the Dockerfile size
# the grace period from these three numbers.
DRAIN_TIMEOUT = 600


class ConfigError(Exception):
    """A missing or invalid setting. ``str(error)`` is the one line to show."""


def env_text(
    env: Mapping[str, str], name: str, default: str | None = None, *, why: str = ""
) -> str:
    value = (env.get(name) or "").strip()
    if value:
        return value
    if default is None:
        raise ConfigError(f"{name} is not set: {why}" if why else f"{name} is not set")
    return default


def env_float(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = env_text(env, name, str(default))
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env_text(env, name, "true" if default else "false").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


@dataclass(frozen=True)
class Settings:
    storage: StorageConfig
    storage_prefix: str
    spool_dir: Path
    upload_timeout: float

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        from .storage import StorageConfig
        from .storage.startup import check_start

        env = os.environ if env is None else env
        upload_timeout = env_float(env, "UPLOAD_TIMEOUT", 20.0, minimum=1.0)
        if upload_timeout > SESSION_END_TIMEOUT - SESSION_END_RESERVE:
            raise ConfigError(
                f"UPLOAD_TIMEOUT={upload_timeout:g} leaves no room inside the "
                f"{SESSION_END_TIMEOUT:g}s session-end budget; keep it at most "
                f"{SESSION_END_TIMEOUT - SESSION_END_RESERVE:g}"
            )
        settings = cls(
            storage=StorageConfig.from_env(env),
            storage_prefix=env_text(env, "STORAGE_PREFIX", "").strip("/"),
            spool_dir=Path(env_text(env, "SPOOL_DIR", "spool")).resolve(),
            upload_timeout=upload_timeout,
        )
        check_start(settings.spool_dir, upload_timeout, settings.storage, settings.storage_prefix)
        return settings
