"""/embed: the board in a box for partner sites: a static snapshot without JavaScript, live over
/sse in a Chromium iframe on another origin, source text inert, under its size budget."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web
from selenium import webdriver

from ingest.model.update import Figures, Kind
from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.plugins.broadcaster import BroadcasterStarter, make_update
from tests.plugins.browser import browser, run_js, wait_js
from ticker.broadcast.http_routes import WEB_DIR
from ticker.commands.serve import night_info

__all__ = ["browser"]  # the fixture, used by name

XSS = '<img src=x onerror="window.pwned = 1">'
_SEEN = datetime(2017, 1, 29, 18, 0, tzinfo=UTC)
#: The widget's budget of JavaScript (the iframe's script and the partner's script tag).
JS_BUDGET = 20 * 1024


async def append_night_and_a_hostile_speech(store: StreamStore) -> None:
    """The whole night, then a speech whose text is markup."""
    await store.append_many(night_updates(find_night("2017-01-29"), seen=_SEEN))
    await store.append(make_update(990, kind=Kind.SPEECH, text=XSS, speaker="Un orateur"))


def test_the_widget_javascript_is_under_its_budget() -> None:
    """embed-widget.js and embed.js together: under 20 KB, no framework."""
    files = [WEB_DIR / "embed-widget.js", WEB_DIR / "embed.js"]
    assert sum(len(path.read_bytes()) for path in files) < JS_BUDGET
    for path in files:
        assert "innerHTML" not in path.read_text()  # source text never becomes markup


async def test_without_javascript_the_page_is_a_snapshot_of_the_board(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """/embed as served: the final result, the state, the speech escaped; allowed framers."""
    await append_night_and_a_hostile_speech(store)
    night = find_night("2017-01-29").night
    running = await start_broadcaster(
        night=night_info(night), allowed_origins=("https://partner.example",)
    )
    async with (
        aiohttp.ClientSession() as session,
        session.get(running.http_url("/embed?speeches=1&theme=dark")) as response,
    ):
        assert response.status == 200
        html = await response.text()
        csp = response.headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors 'self' https://partner.example" in csp
    assert "script-src 'self'" in csp
    assert "Benoît Hamon</span>" in html
    assert "58,72\u00a0%" in html
    assert "41,28\u00a0%" in html
    assert "Soirée terminée" in html
    assert "Résultat définitif" in html
    assert 'data-theme="dark"' in html
    assert "&lt;img src=x" in html
    assert "<img" not in html


@pytest.fixture
async def partner_site() -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A partner's page on another origin (another port), holding the embed code."""
    page: dict[str, str] = {"html": ""}

    async def index(_request: web.Request) -> web.Response:
        return web.Response(text=page["html"], content_type="text/html")

    app = web.Application()
    app.router.add_get("/", index)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", page
    finally:
        await runner.cleanup()


@pytest.mark.browser
@pytest.mark.slow
async def test_the_widget_lives_in_an_iframe_on_another_origin(
    store: StreamStore,
    start_broadcaster: BroadcasterStarter,
    browser: webdriver.Chrome,
    partner_site: tuple[str, dict[str, str]],
) -> None:
    """A partner page pastes the script tag: the box shows the board, follows it, text inert."""
    origin, page = partner_site
    await append_night_and_a_hostile_speech(store)
    night = find_night("2017-01-29").night
    running = await start_broadcaster(night=night_info(night), allowed_origins=(origin,))
    page["html"] = (
        "<!doctype html><html><body><h1>Partenaire</h1>"
        f'<script src="{running.http_url("/embed.js")}" data-speeches="1" data-theme="dark"'
        " async></script></body></html>"
    )
    await asyncio.to_thread(browser.get, origin + "/")
    await wait_js(browser, "document.querySelector('iframe.soiree-embed') !== null")
    frame = await run_js(browser, "return document.querySelector('iframe.soiree-embed');")
    await asyncio.to_thread(browser.switch_to.frame, frame)
    try:
        await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
        rows = await run_js(browser, "return document.getElementById('rows').innerText;")
        assert "58,72" in rows
        # Live: a later count (a correction) reaches the box over /sse.
        later = Figures(shares={"Benoît Hamon": 58.8, "Manuel Valls": 41.2}, counted_pct=100)
        await store.append(make_update(991, kind=Kind.COUNT, figures=later, minute=24 * 60))
        await wait_js(browser, "document.getElementById('rows').innerText.includes('58,8')")
        speech = await run_js(browser, "return document.querySelector('#speeches q').textContent;")
        assert speech == XSS
        assert (
            await run_js(browser, "return document.querySelectorAll('#speeches img').length;") == 0
        )
        assert await run_js(browser, "return window.pwned === undefined;")
        background = await run_js(
            browser, "return getComputedStyle(document.body).backgroundColor;"
        )
        assert background == "rgb(21, 23, 28)"  # the dark theme
    finally:
        await asyncio.to_thread(browser.switch_to.default_content)
    # The partner's page could not reach into the box (another origin).
    assert await run_js(
        browser,
        "try { return document.querySelector('iframe').contentDocument === null; }"
        " catch (e) { return true; }",
    )
