"""Command line: ``python -m {{ cookiecutter.package_name }} <command>``.

One ``--help`` for LiveKit's commands (run by livekit's own CLI, with our checks first)
and ours. Nothing heavy is imported until a command runs, so help answers at once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
from dotenv import load_dotenv

from .browse.cli import browse, view

LIVEKIT_COMMANDS = {
    "start": "Run the worker in production mode (livekit's `start`; --help for its options).",
    "dev": "Run the worker in development mode (livekit's `dev`).",
    "console": "Talk to the agent in this terminal (livekit's `console`).",
    "connect": "Run the agent in one room (livekit's `connect`).",
    "download-files": "Download the plugins' model files (Silero VAD).",
}
WORKER_COMMANDS = ("start", "dev", "console", "connect")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """A LiveKit voice agent that saves every session (transcripts{% if cookiecutter.recording != "none" %} and recordings{% endif %})."""
    load_dotenv(".env.local")


def _livekit_command(name: str, help_text: str) -> click.Command:
    @click.pass_context
    def run(ctx: click.Context, args: tuple[str, ...]) -> None:
        ctx.exit(run_livekit(name, args))

    return click.Command(
        name,
        callback=run,
        help=help_text,
        params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
        context_settings={"ignore_unknown_options": True, "help_option_names": []},
        add_help_option=False,
    )


for _name, _help in LIVEKIT_COMMANDS.items():
    cli.add_command(_livekit_command(_name, _help))


def run_livekit(command: str, args: tuple[str, ...]) -> int:
    """Check what the worker needs, then hand over to livekit's CLI; non-zero if the
    worker could not start or failed."""
    from .settings import ConfigError

    if command in WORKER_COMMANDS and not {"-h", "--help"} & set(args):
        from . import preflight

        try:
            found = preflight.problems(options=args)
        except ConfigError as error:
            found = [str(error)]
        for problem in found:
            click.echo(f"error: {problem}", err=True)
        if found:
            return 2

    from livekit.agents import cli as livekit_cli

    from .agent import server

    failed: list[BaseException] = []
    run = server.run

    async def run_or_record_failure(*a: object, **kw: object) -> None:
        try:
            await run(*a, **kw)
        except BaseException as error:  # livekit logs it and exits 0; we exit 1
            failed.append(error)
            raise

    server.run = run_or_record_failure  # type: ignore[method-assign]
    sys.argv = [sys.argv[0], command, *args]
    try:
        livekit_cli.run_app(server)
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else int(done.code is not None)
    else:
        code = 0
    if failed and code == 0:
        click.echo(f"error: the worker stopped: {failed[0]}", err=True)
        return 1
    return code


@cli.command()
def check() -> None:
    """Probe storage: write, read back and delete a small object."""
    from . import commands

    sys.exit(commands.guarded(commands.check))


@cli.command()
def flush() -> None:
    """Upload the transcripts and recordings left in the local spool."""
    from . import commands

    sys.exit(commands.guarded(commands.flush_spool))


@cli.command()
@click.argument("path")
@click.option("--format", "-f", "format_name", help="json, jsonl, text, markdown, webvtt or srt")
@click.option("--output", "-o", default=None, help="Output file (default: stdout).")
def transcript(path: str, format_name: str | None, output: str | None) -> None:
    """Re-render a saved transcript (our json or jsonl) or a livekit history."""
    from . import commands

    sys.exit(commands.guarded(commands.transcript, path, format_name, output))
{%- if cookiecutter.recording in ["egress_audio", "egress_video"] %}


@cli.group()
def record() -> None:
    """Start, stop or list LiveKit Egress recordings."""


@record.command("start")
@click.option("--room", required=True, help="The room to record.")
@click.option("--dry-run", is_flag=True, help="Print the request (secrets masked) and exit.")
def record_start(room: str, dry_run: bool) -> None:
    """Record a room to the configured storage."""
    _record("start", room=room, dry_run=dry_run)


@record.command("stop")
@click.argument("egress_id")
def record_stop(egress_id: str) -> None:
    """Stop a recording (the id `record start` or `record list` printed)."""
    _record("stop", egress_id=egress_id)


@record.command("list")
@click.option("--room", default=None, help="Only this room's recordings.")
def record_list(room: str | None) -> None:
    """List recent recordings."""
    _record("list", room=room)


def _record(command: str, **options: object) -> None:
    from argparse import Namespace

    from . import commands
    from .recording.cli import run_record

    args = Namespace(record_command=command, **options)
    sys.exit(commands.guarded(run_record, args))
{%- endif %}


cli.add_command(browse)  # review sessions in a browser (browse/)
cli.add_command(view)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        cli.main(
            args=list(sys.argv[1:] if argv is None else argv),
            prog_name="python -m {{ cookiecutter.package_name }}",
        )
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
