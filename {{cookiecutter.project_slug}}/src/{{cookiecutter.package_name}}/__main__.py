"""Command line: ``python -m {{ cookiecutter.package_name }} <command>``.

LiveKit's own commands (``dev``, ``start``, ``console``, ``connect``,
``download-files``) go to the agents CLI. Ours:

- ``check``: probe storage (write, read back, delete a small object).
- ``flush``: upload transcripts and recordings left in the local spool.
- ``transcript PATH [--format F] [-o OUT]``: re-render a saved transcript or history.
{%- if cookiecutter.recording in ["egress_audio", "egress_video"] %}
- ``record start|stop|list``: drive LiveKit Egress with this project's settings.
{%- endif %}
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dotenv import load_dotenv

OUR_COMMANDS = ("check", "flush", "transcript"{% if cookiecutter.recording in ["egress_audio", "egress_video"] %}, "record"{% endif %})
WORKER_COMMANDS = ("dev", "start")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m {{ cookiecutter.package_name }}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="probe storage with a real write, read and delete")
    commands.add_parser("flush", help="upload files left in the local spool")
    transcript = commands.add_parser("transcript", help="re-render a saved transcript")
    transcript.add_argument("path", help="our json or jsonl transcript, or a livekit history")
    transcript.add_argument("--format", "-f", help="json, jsonl, text, markdown, webvtt or srt")
    transcript.add_argument("--output", "-o", default=None, help="output file (default: stdout)")
{%- if cookiecutter.recording in ["egress_audio", "egress_video"] %}
    from .recording.cli import add_record_commands

    add_record_commands(commands)
{%- endif %}
    return parser


def run_command(argv: Sequence[str]) -> int:
    """Run one of our own commands; returns the exit code."""
    from . import commands

    args = _parser().parse_args(argv)
    return commands.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    load_dotenv(".env.local")
    if argv and argv[0] in OUR_COMMANDS:
        return run_command(argv)

    from .settings import ConfigError, Settings

    if argv and argv[0] in WORKER_COMMANDS:
        try:
            Settings.from_env()
        except ConfigError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2

    from livekit.agents import cli

    from .agent import server

    sys.argv = [sys.argv[0], *argv]
    cli.run_app(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
