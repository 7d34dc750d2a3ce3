"""``record start|stop|list``: drive LiveKit Egress by hand with this project's settings.

The options are parsed in ``__main__.py``; ``run_record`` takes them as a namespace.

The request is the one the agent sends (same media, same storage, same layout), except
that a manual recording has no job: see ``egress_output.manual_filepath``. LiveKit's
address and keys come from ``LIVEKIT_URL``, ``LIVEKIT_API_KEY`` and ``LIVEKIT_API_SECRET``.
``record start --dry-run`` prints the request with its secrets masked and needs no keys.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

from google.protobuf.json_format import MessageToDict
from livekit import api
from livekit.protocol import egress as proto

from ..commands import fail
from ..settings import Settings, env_text
from ..storage.base import one_line
from . import egress_output
from .egress import ns_to_iso, status_name

SECRET_FIELDS = frozenset(
    {"access_key", "secret", "session_token", "account_key", "credentials", "password"}
)
MASK = "***"
PROG = "python -m {{ cookiecutter.package_name }}"


def masked(value: Any) -> Any:
    """``value`` (a request as a dict) with every secret field replaced by ``***``."""
    if isinstance(value, dict):
        return {
            key: MASK if key in SECRET_FIELDS and item else masked(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def start_request(settings: Settings, room: str) -> proto.RoomCompositeEgressRequest:
    """The request ``record start`` sends: the agent's, with a manual recording's path."""
    filepath = egress_output.manual_filepath(settings.storage_prefix, room=room, now=time.time())
    output = egress_output.file_output(settings.storage, filepath)
    return egress_output.room_composite_request(room, output)


def describe(info: proto.EgressInfo) -> str:
    """One line per egress: id, status, room, start time, file location or error."""
    result = info.file_results[0] if info.file_results else None
    where = (result.location or result.filename) if result else ""
    outputs = info.room_composite.file_outputs
    where = where or (outputs[0].filepath if outputs else "")
    parts = [
        info.egress_id,
        status_name(info.status),
        info.room_name,
        ns_to_iso(info.started_at) or "-",
        where,
    ]
    if info.error:
        parts.append(f"error: {info.error}")
    return "  ".join(p for p in parts if p)


def livekit_credentials() -> dict[str, str]:
    """LiveKit's address and keys from the environment; ConfigError names a missing one."""
    why = "the LiveKit server whose egress to drive (see .env.example)"
    return {
        "url": env_text(os.environ, "LIVEKIT_URL", why=why),
        "api_key": env_text(os.environ, "LIVEKIT_API_KEY", why=why),
        "api_secret": env_text(os.environ, "LIVEKIT_API_SECRET", why=why),
    }


async def call_egress(
    args: argparse.Namespace,
    credentials: dict[str, str],
    request: proto.RoomCompositeEgressRequest | None = None,
    destination: str = "",
) -> int:
    lkapi = api.LiveKitAPI(**credentials)
    try:
        if request is not None:
            info = await lkapi.egress.start_room_composite_egress(request)
            print(describe(info))
            print(f"recording to {destination}")
            print(f"stop it with: {PROG} record stop {info.egress_id}")
        elif args.record_command == "stop":
            info = await lkapi.egress.stop_egress(proto.StopEgressRequest(egress_id=args.egress_id))
            print(describe(info))
        else:
            listing = proto.ListEgressRequest(room_name=args.room or "")
            found = await lkapi.egress.list_egress(listing)
            for info in found.items:
                print(describe(info))
            if not found.items:
                print("no recordings found")
    except Exception as error:  # API errors, timeouts, unreachable server
        return fail(f"record {args.record_command} failed: {one_line(error)}")
    finally:
        await lkapi.aclose()
    return 0


def run_record(args: argparse.Namespace) -> int:
    """Run ``record ...``; a missing setting raises ConfigError (exit 2 in commands.run).

    Only ``start`` reads the storage settings; ``stop`` and ``list`` need LiveKit's alone.
    """
    request, destination = None, ""
    if args.record_command == "start":
        settings = Settings.from_env()
        request = start_request(settings, args.room)
        if args.dry_run:
            document = MessageToDict(request, preserving_proto_field_name=True)
            print(json.dumps(masked(document), indent=2))
            return 0
        filepath = request.file_outputs[0].filepath
        destination = egress_output.destination(settings.storage, filepath)
    return asyncio.run(call_egress(args, livekit_credentials(), request, destination))
