"""``browse`` and ``view``: click commands, added to the project CLI in ``__main__``.

Imports only click here: the server and its dependencies load when a command runs.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

DEFAULT_PORT = 8780


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def _serve(app: object, host: str, port: int, url_suffix: str) -> None:
    import asyncio

    from .server import start

    runner, bound = await start(app, host, port)  # type: ignore[arg-type]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"reviewing sessions at http://{shown}:{bound}/{url_suffix}  (Ctrl-C stops)")
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--allow-remote",
    is_flag=True,
    help="allow a non-loopback --host; every request then needs the token",
)
@click.option(
    "--token",
    envvar="BROWSE_TOKEN",
    default="",
    help="access token (env BROWSE_TOKEN); generated and printed if --allow-remote has none",
)
def browse(host: str, port: int, allow_remote: bool, token: str) -> None:
    """Review sessions in a browser.

    The session list and a review page per session, over this project's own storage
    (and spool), on 127.0.0.1 by default.
    """
    import asyncio

    from ..settings import ConfigError, Settings
    from ..storage import open_store
    from ..storage.spool import Spool
    from .catalog import Catalog
    from .server import make_app

    loopback = is_loopback(host)
    if not loopback and not allow_remote:
        raise click.UsageError(
            f"--host {host} is not a loopback address: anyone who can reach it could read "
            "every transcript. Add --allow-remote (a token is then required)."
        )
    if not loopback and not token:
        import secrets

        token = secrets.token_urlsafe(24)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    store = open_store(settings.storage)
    catalog = Catalog(store, settings.storage_prefix, Spool(settings.spool_dir))
    click.echo(f"storage: {store.describe()}, spool: {settings.spool_dir}")
    app = make_app(catalog, token=token, loopback=loopback)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(app, host, port, f"?token={token}" if token else ""))


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--recording",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the recording to embed (default: recording.* beside the transcript)",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="default: PATH.html"
)
def view(path: Path, recording: Path | None, output: Path | None) -> None:
    """Write one review page as a self-contained HTML file."""
    from .standalone import render

    try:
        html, note = render(path, recording)
    except (OSError, ValueError, UnicodeError) as error:
        raise click.ClickException(f"cannot read {path}: {error}") from None
    target = output or path.with_name(path.name + ".html")
    target.write_text(html, encoding="utf-8")
    click.echo(f"wrote {target} ({note})")
