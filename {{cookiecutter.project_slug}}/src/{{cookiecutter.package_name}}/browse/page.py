"""The HTML of the session list and the review page. Every value is escaped here.

The server links its stylesheet and script (``/static/...``, allowed by the CSP as
``'self'``); ``view`` inlines them and allows exactly those two by their SHA-256 hashes.
Nothing in a page comes from the network, and no transcript text becomes markup or a link.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import urlencode

from .catalog import Page, SessionFiles
from .chart import latency_svg
from .review import LATENCIES, Review, Turn

STATIC = Path(__file__).parent / "static"
STYLESHEET = "review.css"
SCRIPT = "review.js"
# The policy for pages the server sends (as a header); media, captions and assets are same-origin.
SERVER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def h(value: object) -> str:
    """Text or an attribute value, escaped (quotes included)."""
    return escape(str(value), quote=True)


def static_text(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


@dataclass(frozen=True)
class Assets:
    """How a page gets its stylesheet and script: linked (served) or inline (one file)."""

    inline: bool = False

    def head(self) -> str:
        if not self.inline:
            return (
                f'<link rel="stylesheet" href="/static/{STYLESHEET}">'
                f'<script src="/static/{SCRIPT}" defer></script>'
            )
        css, js = static_text(STYLESHEET), static_text(SCRIPT)
        policy = (
            f"default-src 'none'; style-src 'sha256-{_sha256(css)}'; "
            f"script-src 'sha256-{_sha256(js)}'; media-src data:; img-src data:; "
            "base-uri 'none'; form-action 'none'"
        )
        # ``</`` cannot occur in our own static files; checked so an edit cannot break out
        assert "</" not in css and "</" not in js, "static files must not contain '</'"
        return (
            f'<meta http-equiv="Content-Security-Policy" content="{h(policy)}">'
            f"<style>{css}</style><script>{js}</script>"
        )


@dataclass(frozen=True)
class Media:
    src: str  # a same-origin URL, or a data: URI in a self-contained page
    mime: str
    captions: str = ""  # WebVTT: a URL or a data: URI
    spooled: bool = False

    @property
    def video(self) -> bool:
        return self.mime.startswith("video/")


def document(title: str, body: str, assets: Assets) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{h(title)}</title>{assets.head()}</head><body>{body}</body></html>"
    )


def _facts(review: Review) -> str:
    rows = "".join(
        f"<div><dt>{h(label)}</dt><dd>{h(value)}</dd></div>" for label, value in review.facts
    )
    return f'<dl class="facts">{rows}</dl>'


def _player(media: Media | None, review: Review) -> str:
    if media is None:
        status = review.recording.get("status") if review.recording else None
        why = f" (recording {status})" if status else ""
        return f'<p class="no-audio">No recording to play{h(why)}: transcript only.</p>'
    tag = "video" if media.video else "audio"
    track = (
        f'<track kind="captions" src="{h(media.captions)}" srclang="en" label="Transcript" default>'
        if media.captions
        else ""
    )
    note = ' <span class="badge spool">recording still in the spool</span>' if media.spooled else ""
    return (
        f'<div class="player"><{tag} id="player" controls preload="metadata">'
        f'<source src="{h(media.src)}" type="{h(media.mime)}">{track}</{tag}>{note}</div>'
    )


def _latencies(turn: Turn) -> str:
    if not turn.latencies:
        return ""
    labels = {key: label for key, label, _ in LATENCIES}
    items = "".join(
        f'<span class="lat-{h(key)}" title="{h(labels[key])}">{h(labels[key])} {value:.2f}s</span>'
        for key, value in turn.latencies.items()
    )
    return f'<div class="lat">{items}</div>'


def _turn(number: int, turn: Turn) -> str:
    when = f'<time class="at">{h(turn.clock)}</time>'
    if turn.is_message:
        mark = ' <span class="mark">interrupted</span>' if turn.interrupted else ""
        classes = f"turn {h(turn.role)}" + (" interrupted" if turn.interrupted else "")
        return (
            f'<li class="{classes}" id="turn-{number}" data-start="{max(turn.offset, 0.0):.3f}" '
            f'tabindex="0"><div class="meta"><span class="who">{h(turn.speaker)}</span> {when}'
            f'{mark}</div><p class="text">{h(turn.text)}</p>{_latencies(turn)}</li>'
        )
    if turn.kind == "agent_handoff":
        return f'<li class="event">{when} <span class="who">Handoff</span> {h(turn.text)}</li>'
    label = "Tool call" if turn.kind == "function_call" else "Tool result"
    if turn.is_error:
        label = "Tool error"
    error = " error" if turn.is_error else ""
    return (
        f'<li class="tool{error}"><details><summary>{when} <span class="who">{label}</span> '
        f"<code>{h(turn.name)}</code></summary><pre>{h(turn.body)}</pre></details></li>"
    )


def _chart(review: Review) -> str:
    svg = latency_svg(review.latencies)
    if not svg:
        return ""
    legend = "".join(
        f'<li><span class="swatch lat-{h(key)}"></span>{h(label)}</li>'
        for key, label, _ in LATENCIES
    )
    return (
        '<section class="chart"><h2>Latency per agent turn</h2>'
        f'{svg}<ul class="legend">{legend}</ul></section>'
    )


def review_page(
    review: Review,
    media: Media | None,
    assets: Assets,
    *,
    spooled: bool = False,
    back: str | None = None,
) -> str:
    numbered, messages = [], 0
    for turn in review.turns:
        messages += turn.is_message
        numbered.append(_turn(messages, turn))
    badge = ' <span class="badge spool">in the spool: not uploaded yet</span>' if spooled else ""
    nav = f'<nav><a href="{h(back)}">All sessions</a></nav>' if back else ""
    body = (
        f"<header>{nav}<h1>{h(review.title)}{badge}</h1>{_facts(review)}</header>"
        f"<main>{_player(media, review)}{_chart(review)}"
        f'<section><h2>Conversation</h2><ol id="turns" class="turns">{"".join(numbered)}</ol>'
        "</section></main>"
    )
    return document(review.title, body, assets)


def _files(files: SessionFiles, kind: str) -> str:
    names = sorted(files.names(kind))
    return h(", ".join(n.removeprefix("transcript.").removeprefix("recording.") for n in names))


def _row(files: SessionFiles) -> str:
    ref = files.ref
    spool = ' <span class="badge spool">in spool</span>' if files.in_spool else ""
    return (
        f'<tr class="session"><td>{ref.day:%Y-%m-%d}</td>'
        f'<td><a href="/session/{h(ref.path)}">{h(ref.room)}</a>{spool}</td>'
        f"<td>{h(ref.job)}</td><td>{_files(files, 'transcripts')}</td>"
        f"<td>{_files(files, 'recordings')}</td></tr>"
    )


def list_page(page: Page, filters: dict[str, str], assets: Assets) -> str:
    inputs = "".join(
        f'<label>{label} <input type="{kind}" name="{name}" value="{h(filters.get(name, ""))}">'
        "</label>"
        for label, kind, name in (
            ("From", "date", "since"),
            ("To", "date", "until"),
            ("Room", "search", "room"),
        )
    )
    form = (
        f'<form class="filters" method="get" action="/">{inputs}'
        '<button type="submit">Filter</button></form>'
    )
    rows = "".join(_row(files) for files in page.sessions)
    span = (
        f"{page.newest:%Y-%m-%d}"
        if page.oldest == page.newest
        else (f"{page.oldest:%Y-%m-%d} to {page.newest:%Y-%m-%d}")
    )
    table = (
        '<table class="sessions"><thead><tr><th>Day (UTC)</th><th>Room</th><th>Job</th>'
        f"<th>Transcript</th><th>Recording</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else f'<p class="empty">No sessions from {h(span)}.</p>'
    )
    more = ""
    if page.next_until is not None:
        query = {k: v for k, v in filters.items() if v and k in ("since", "room")}
        query["until"] = f"{page.next_until:%Y-%m-%d}"
        if page.next_skip:
            query["skip"] = str(page.next_skip)
        link = f'<a rel="next" href="/?{h(urlencode(query))}">Older sessions</a>'
        more = f'<nav class="pages">{link}</nav>'
    body = (
        f"<header><h1>Sessions</h1>{form}</header>"
        f'<main><p class="span">Showing {h(span)}, newest day first.</p>{table}{more}</main>'
    )
    return document("Sessions", body, assets)
