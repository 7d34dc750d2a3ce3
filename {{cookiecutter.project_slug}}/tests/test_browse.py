"""The review server and page in a real browser (Debian's chromium, driven by playwright),
over real {{ cookiecutter.storage_backend }} storage."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import review_samples as samples
from {{ cookiecutter.package_name }}.__main__ import main
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.storage import open_store

HOSTILE = [
    "<script>window.__pwned = 1; alert('script')</script>",
    '"><img src=x onerror="window.__pwned = 2; alert(\'img\')">',
    "see [click](javascript:alert('md')) or <a href=\"javascript:alert('a')\">this</a>",
    "javascript:alert('bare')",
    "</textarea></title><svg onload=alert('svg')>",
    "\x7b\x7b 7*7 \x7d\x7d ${7*7} <style>body{display:none}</style>",
]


@pytest.fixture(scope="module")
def browser() -> Browser:
    with sync_playwright() as playwright:
        executable = samples.chromium_path(playwright.chromium.executable_path)
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=samples.CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Page:
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def review_env(tmp_path, storage_env) -> dict[str, str]:
    spool = {"SPOOL_DIR": str(tmp_path / "spool"), "UPLOAD_TIMEOUT": "5"}
    return storage_env | spool | {"STORAGE_PREFIX": "calls"}


@pytest.fixture
def review_settings(review_env) -> Settings:
    return Settings.from_env(review_env)


def watch(page: Page) -> list[str]:
    """Everything the page says on its own: console messages, dialogs, uncaught errors."""
    heard: list[str] = []
    page.on("console", lambda message: heard.append(f"console {message.type}: {message.text}"))
    page.on("dialog", lambda dialog: (heard.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("pageerror", lambda error: heard.append(f"error: {error}"))
    return heard


def check_seek_and_follow(page: Page) -> None:
    """Clicking the third turn seeks there; playing moves the highlight to the fourth."""
    player = "document.getElementById('player')"
    samples.wait_until(page, f"{player}.readyState >= 1")
    assert page.locator("#player track").count() == 1
    page.locator("#turns .turn").nth(2).click()
    position = page.evaluate(f"{player}.currentTime")
    assert position == pytest.approx(samples.TURN_STARTS[2], abs=0.05)
    assert page.locator("#turns .turn.current").get_attribute("id") == "turn-3"
    page.eval_on_selector(
        "#player", "p => { p.muted = true; p.playbackRate = 2; return p.play(); }"
    )
    page.wait_for_selector("#turn-4.current", timeout=15_000)
    assert page.locator("#turns .turn.current").count() == 1
    page.evaluate(f"{player}.pause()")


def test_list_open_session_seek_and_follow_playback(
    review_settings, tmp_path, page, caplog
) -> None:
    samples.store_session(
        review_settings,
        samples.conversation(started_at=1_794_900_000.0, job_id="AJ_older"),
        tmp_path,
    )
    path = samples.store_session(review_settings, samples.conversation(), tmp_path)
    heard = watch(page)
    with samples.serving(review_settings) as server:
        page.goto(f"{server.url}/?until=2026-11-18")
        assert page.locator("tr.session").count() == 2
        # newest day first
        assert page.locator("tr.session td").first.inner_text() == "2026-11-18"
        page.locator(f'a[href="{path}"]').click()
        page.wait_for_url(f"**{path}")
        assert page.locator("#turns .turn").count() == len(samples.TURN_STARTS)
        tools = page.locator("#turns .tool details:not([open])")
        assert tools.count() == (2 if samples.KEEPS_HEADER else 0)
        header = page.locator(".facts").inner_text()
        assert "support-desk" in header
        if samples.KEEPS_HEADER:
            for expected in ("participant_disconnected", "openai/gpt-4.1-mini", "00:00:20"):
                assert expected in header
        assert (page.locator("svg.latency rect").count() > 0) == samples.KEEPS_METRICS
        assert page.locator("#turns .turn.interrupted .mark").inner_text() == "interrupted"
        if samples.RECORDING_NAME is None:  # recording=none: the transcript alone
            assert page.locator("#player").count() == 0
            assert "transcript only" in page.locator("main").inner_text()
        else:
            check_seek_and_follow(page)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(samples.artefact_dir() / "review-page.png"), full_page=True)
    assert heard == []
    # the player drops media requests as it seeks: the server takes that quietly
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_hostile_transcript_runs_no_script(review_settings, tmp_path, page) -> None:
    hostile = samples.conversation(
        room='<img src=x onerror=alert("room")>',
        job_id="AJ_hostile",
        texts=HOSTILE,
        tool_output="<script>alert('tool')</script>",
    )
    path = samples.store_session(review_settings, hostile, tmp_path)
    heard = watch(page)
    with samples.serving(review_settings) as server:
        page.goto(f"{server.url}/?until=2026-11-18")
        page.goto(server.url + path)
        if samples.KEEPS_HEADER:
            page.locator("#turns .tool summary").first.click()  # open a tool call's details
        page.locator("#turns .turn").nth(1).click()
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None
        assert page.locator("img, iframe, object, embed").count() == 0
        assert page.locator("a[href^='javascript' i]").count() == 0
        assert page.locator("#turns svg, #turns style").count() == 0
        shown = page.locator("#turns .turn .text").all_inner_texts()
        # captions cut long words over lines, and srt keeps look-alikes of < > \
        if samples.KEEPS_HEADER:
            assert [text.strip() for text in shown][:3] == [t.strip() for t in HOSTILE[:3]]
        if samples.KEEPS_HEADER:
            assert '<img src=x onerror=alert("room")>' in page.locator("h1").inner_text()
    assert heard == []


def test_spooled_session_is_listed_and_marked(review_settings, tmp_path, page) -> None:
    path = samples.store_session(
        review_settings, samples.conversation(job_id="AJ_spooled"), tmp_path, spooled=True
    )
    with samples.serving(review_settings) as server:
        page.goto(f"{server.url}/?until=2026-11-18&room=support")
        row = page.locator("tr.session", has=page.locator(f'a[href="{path}"]'))
        assert row.locator(".badge.spool").count() == 1
        page.goto(server.url + path)
        assert "not uploaded" in page.locator("h1 .badge").inner_text()
        assert page.locator("#turns .turn").count() == len(samples.TURN_STARTS)


def test_filters_and_pages_follow_the_date_prefixes(review_settings, tmp_path, page) -> None:
    for day in range(3):
        transcript = samples.conversation(
            room=f"room-{day}", job_id=f"AJ_{day}", started_at=1_795_000_000.0 - day * 86400
        )
        samples.store_session(review_settings, transcript, tmp_path)
    with samples.serving(review_settings) as server:
        page.goto(f"{server.url}/?until=2026-11-18&since=2026-11-17")
        assert page.locator("tr.session").count() == 2
        page.goto(f"{server.url}/?until=2026-11-18&room=ROOM-2")
        assert page.locator("tr.session a").all_inner_texts() == ["room-2"]
        status, _, _ = samples.raw_get(server.port, "/?until=not-a-date")
        assert status == 400


def test_keys_outside_the_layout_are_refused(review_settings, review_env, tmp_path) -> None:
    path = samples.store_session(
        review_settings, samples.conversation(job_id="AJ_inside"), tmp_path
    )
    # a session stored outside the prefix is never listed nor reachable
    outside = Settings.from_env(review_env | {"STORAGE_PREFIX": "other-tenant"})
    samples.store_session(outside, samples.conversation(job_id="AJ_outside"), tmp_path)
    session = path.removeprefix("/session")
    day, room = "/2026/11/18", "/support-desk"
    with samples.serving(review_settings) as server:
        status, _, body = samples.raw_get(server.port, "/?until=2026-11-18")
        assert b"AJ_inside" in body and b"AJ_outside" not in body
        refused = [
            f"/session{day}{room}/..",
            f"/session{day}{room}/%2e%2e",
            f"/session{day}/..%2F..%2Fother-tenant/AJ_outside",
            f"/media{session}/..%2F..%2F..%2Fsecret.ogg",
            f"/media{session}/%2e%2e",
            f"/media{day}{room}/..%2FAJ_inside/recording.ogg",
            f"/captions{day}/..%2F..%2Fother-tenant/x/captions.vtt",
            "/static/..%2F..%2Fsettings.py",
            "/session/2026/11/18/.hidden/AJ_inside",
        ]
        for attempt in refused:
            status, _, body = samples.raw_get(server.port, attempt)
            assert status in (400, 404), (attempt, status)
            assert b"support-desk" not in body or status == 404, attempt
        status, _, body = samples.raw_get(server.port, f"/session{day}{room}/..")
        assert status == 400 and b"refused" in body
        # a page from another site cannot reach the server by rebinding its DNS name
        assert samples.raw_get(server.port, "/", host="attacker.example")[0] == 421


def test_security_headers_and_remote_binding(review_settings, tmp_path, capsys) -> None:
    path = samples.store_session(
        review_settings, samples.conversation(job_id="AJ_headers"), tmp_path
    )
    with samples.serving(review_settings) as server:
        status, headers, _ = samples.raw_get(server.port, path)
        assert status == 200
        policy = headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "http" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
    assert main(["browse", "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    with samples.serving(review_settings, token="s3cret-token", loopback=False) as server:
        assert samples.raw_get(server.port, path)[0] == 401
        assert samples.raw_get(server.port, path, {"Authorization": "Bearer wrong"})[0] == 401
        assert (
            samples.raw_get(server.port, path, {"Authorization": "Bearer s3cret-token"})[0] == 200
        )
        status, headers, _ = samples.raw_get(server.port, path + "?token=s3cret-token")
        assert status == 303 and "HttpOnly" in headers["Set-Cookie"]


def test_view_writes_one_self_contained_page(review_settings, tmp_path, page) -> None:
    transcript = samples.conversation(texts=HOSTILE, job_id="AJ_view")
    samples.store_session(review_settings, transcript, tmp_path)
    text_key, media_key = samples.keys(review_settings, transcript)
    store = open_store(review_settings.storage)
    folder = tmp_path / "ticket"
    folder.mkdir()
    saved = folder / Path(text_key).name
    saved.write_bytes(store.read_bytes(text_key))
    if media_key:
        (folder / Path(media_key).name).write_bytes(store.read_bytes(media_key))
    assert main(["view", str(saved), "-o", str(folder / "review.html")]) == 0
    html = (folder / "review.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    heard = watch(page)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto((folder / "review.html").as_uri())
    assert page.locator("#turns .turn").count() == len(samples.TURN_STARTS)
    assert page.evaluate("window.__pwned") is None
    if samples.RECORDING_NAME is None:
        assert page.locator("#player").count() == 0
    else:
        check_seek_and_follow(page)
    assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
    assert heard == []
