"""The review server: the session list, review pages, captions and recordings.

Every request is a GET (or HEAD) for a path built from layout segments that are checked
before any key is made (``catalog.valid_segment``): no request can name a key outside
the storage prefix or climb out with ``..``. Recordings are streamed with range
requests, a chunk at a time, from whichever backend holds them (or the spool).
On loopback, requests must name a loopback host (a page on another site cannot rebind
its DNS to reach us); off loopback, every request must carry the token.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime, timezone

from aiohttp import web

from ..storage.base import StorageError, one_line
from ..transcript.formats import FORMATS
from ..transcript.model import SessionInfo, Transcript
from . import page as pages
from .catalog import Catalog, SessionRef, valid_segment
from .ranges import parse_range
from .review import build
from .source import SessionSource, media_type

logger = logging.getLogger("{{ cookiecutter.package_name }}.browse")

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
TOKEN_COOKIE = "review_token"
STATIC_TYPES = {pages.STYLESHEET: "text/css", pages.SCRIPT: "text/javascript"}
SESSION_PATH = "/{year:\\d{4}}/{month:\\d{2}}/{day:\\d{2}}/{room}/{job}"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CATALOG = web.AppKey("catalog", Catalog)
TOKEN = web.AppKey("token", str)
LOOPBACK = web.AppKey("loopback", bool)


def _error(status: int, message: str) -> web.Response:
    body = pages.document(
        "Error", f"<main><h1>{status}</h1><p>{pages.h(message)}</p></main>", pages.Assets()
    )
    return web.Response(status=status, text=body, content_type="text/html")


def _host_name(host: str) -> str:
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Host and token checks first, security headers on every response."""
    app = request.app
    if app[LOOPBACK] and _host_name(request.host) not in LOOPBACK_HOSTS:
        response: web.StreamResponse = _error(421, "this server only answers on loopback")
    elif app[TOKEN] and not _authorised(request):
        response = _error(401, "open the address printed by the browse command (with ?token=)")
    elif app[TOKEN] and "token" in request.query:
        # move the token out of the address bar (and history) into a cookie
        query = {k: v for k, v in request.query.items() if k != "token"}
        response = web.HTTPSeeOther(request.rel_url.with_query(query))
        response.set_cookie(TOKEN_COOKIE, app[TOKEN], httponly=True, samesite="Strict")
    else:
        try:
            response = await handler(request)
        except web.HTTPException as error:
            response = _error(error.status, error.reason)
        except StorageError as error:
            logger.warning("storage failed: %s", one_line(error))
            response = _error(502, f"storage failed: {one_line(error)}")
    headers = response.headers
    headers["Content-Security-Policy"] = pages.SERVER_CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers.setdefault("Cache-Control", "no-store")
    return response


def _authorised(request: web.Request) -> bool:
    token = request.app[TOKEN]
    offered = [
        request.query.get("token", ""),
        request.cookies.get(TOKEN_COOKIE, ""),
        request.headers.get("Authorization", "").removeprefix("Bearer "),
    ]
    return any(hmac.compare_digest(o.encode(), token.encode()) for o in offered if o)


def _ref(request: web.Request) -> SessionRef:
    info = request.match_info
    try:
        return SessionRef.parse(info["year"], info["month"], info["day"], info["room"], info["job"])
    except ValueError:
        raise web.HTTPBadRequest(reason="refused: not a session of the storage layout") from None


async def _source(request: web.Request) -> SessionSource:
    catalog = request.app[CATALOG]
    files = await asyncio.to_thread(catalog.session, _ref(request))
    if not any(files.names("transcripts") | files.names("recordings")):
        raise web.HTTPNotFound(reason="no such session")
    return SessionSource(catalog, files)


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise web.HTTPBadRequest(reason=f"{name} is not a date (YYYY-MM-DD)") from None


async def session_list(request: web.Request) -> web.Response:
    query = request.query
    filters = {name: query.get(name, "")[:200] for name in ("since", "until", "room")}
    until = _date(filters["until"], "until") or datetime.now(timezone.utc).date()
    since = _date(filters["since"], "since")
    skip = int(query["skip"]) if query.get("skip", "").isdigit() else 0
    page = await asyncio.to_thread(
        request.app[CATALOG].page, until, since, filters["room"], skip=skip
    )
    return web.Response(
        text=pages.list_page(page, filters, pages.Assets()), content_type="text/html"
    )


async def _transcript(source: SessionSource) -> Transcript:
    try:
        found = await asyncio.to_thread(source.transcript)
    except (ValueError, UnicodeError) as error:
        raise web.HTTPUnprocessableEntity(reason=f"cannot read the transcript: {error}") from None
    if found is None:  # a recording without a transcript (egress wrote, the job died)
        ref = source.files.ref
        return Transcript(SessionInfo(room=ref.room, job_id=ref.job), [])
    transcript = found[0]
    if not transcript.session.room:  # captions keep no header: name it by its folder
        ref = source.files.ref
        transcript.session.room, transcript.session.job_id = ref.room, ref.job
    return transcript


async def review(request: web.Request) -> web.Response:
    source = await _source(request)
    transcript = await _transcript(source)
    ref = source.files.ref
    media = None
    name = source.recording_name()
    if name is not None:
        media = pages.Media(
            src=f"/media/{ref.path}/{name}",
            mime=media_type(name) or "application/octet-stream",
            captions=f"/captions/{ref.path}/captions.vtt" if transcript.entries else "",
            spooled=source.spooled("recordings", name),
        )
    html = pages.review_page(
        build(transcript), media, pages.Assets(), spooled=source.files.in_spool, back="/"
    )
    return web.Response(text=html, content_type="text/html")


async def captions(request: web.Request) -> web.Response:
    transcript = await _transcript(await _source(request))
    text = await asyncio.to_thread(FORMATS["webvtt"].render, transcript)
    return web.Response(text=text, content_type="text/vtt", charset="utf-8")


async def media(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not valid_segment(name) or media_type(name) is None:
        raise web.HTTPBadRequest(reason="refused: not a recording of the storage layout")
    source = await _source(request)
    if name not in source.files.names("recordings"):
        raise web.HTTPNotFound(reason="no such recording")
    wanted = parse_range(request.headers.get("Range"))
    start, stop = 0, None
    if wanted is not None and wanted.suffix is not None:  # the last N bytes: size first
        size, _ = await asyncio.to_thread(source.read_range, "recordings", name, 0, 0)
        start = max(0, size - wanted.suffix)
    elif wanted is not None:
        start, stop = wanted.first or 0, None if wanted.last is None else wanted.last + 1
    size, chunks = await asyncio.to_thread(source.read_range, "recordings", name, start, stop)
    span = wanted.resolve(size) if wanted is not None else (0, size)
    if span is None:
        _close(chunks)
        return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
    start, stop = span
    headers = {"Accept-Ranges": "bytes", "Content-Type": media_type(name) or ""}
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response = web.StreamResponse(status=206 if wanted else 200, headers=headers)
    response.content_length = stop - start
    try:
        await response.prepare(request)
        if request.method == "HEAD":
            _close(chunks)
        else:
            await _stream(response, chunks)
        await response.write_eof()
    except ConnectionError:  # the player seeked elsewhere and dropped this request
        _close(chunks)
    return response


async def _stream(response: web.StreamResponse, chunks: Iterator[bytes]) -> None:
    """Write the chunks as the backend yields them (each read off the event loop)."""
    try:
        while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
            await response.write(chunk)
    finally:
        await asyncio.to_thread(_close, chunks)


def _close(chunks: Iterator[bytes]) -> None:
    """Stop a backend read early (a generator closes its response; a seek abandons one)."""
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC_TYPES:
        raise web.HTTPNotFound(reason="no such file")
    return web.Response(
        text=pages.static_text(name),
        content_type=STATIC_TYPES[name],
        headers={"Cache-Control": "private, max-age=300"},
    )


async def no_icon(request: web.Request) -> web.Response:
    """Browsers ask for one; answering keeps the console free of 404s."""
    return web.Response(status=204)


def make_app(catalog: Catalog, *, token: str = "", loopback: bool = True) -> web.Application:
    app = web.Application(middlewares=[guard])
    app[CATALOG] = catalog
    app[TOKEN] = token
    app[LOOPBACK] = loopback
    app.router.add_get("/", session_list)
    app.router.add_get("/session" + SESSION_PATH, review)
    app.router.add_get("/captions" + SESSION_PATH + "/captions.vtt", captions)
    app.router.add_get("/media" + SESSION_PATH + "/{name}", media)
    app.router.add_get("/static/{name}", static)
    app.router.add_get("/favicon.ico", no_icon)
    return app


async def start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner (``await runner.cleanup()`` stops) and the port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner, runner.addresses[0][1]
