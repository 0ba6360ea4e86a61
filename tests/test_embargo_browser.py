"""The embargo on the web page, in a real headless Chromium: on 29 January replayed, the page
(a public client) does not show the 18:39 estimate at 18:50; it shows it once the replay's
clock reaches 19:00, when polls closed, without a reload. A staff page marks it "sous embargo"
until then, and drops the mark when back after an editor released it while the page was away
(the broadcaster restarted meanwhile), though it is not sent again; a snapshot whose ``embargo``
field is missing or malformed keeps the marks.

Debian's Chromium (``tests/plugins/browser.py``), a real broadcaster and Redis; the clock hash
is written by the replay's own writer (:func:`replay.runner.publish_clock`); the release is
``soiree embargo release``, a process; the page reaches the broadcaster through a real TCP relay
on 127.0.0.1 that the test shuts while it is away.
"""

from __future__ import annotations

import asyncio
import json
from datetime import time

import pytest
from selenium import webdriver

from ingest.model.polls_close import embargo_end
from ingest.store.stream_store import StreamStore
from replay.runner import publish_clock
from tests.plugins.broadcaster import BroadcasterStarter
from tests.plugins.browser import run_js, wait_js
from tests.test_embargo_broadcast import STAFF, _embargo, append, night_of_29_january
from tests.test_embargo_ticker import _door, _public_client_gets, _staff_ticker_at_1845, _start
from ticker.broadcast.access import AccessTokens
from ticker.commands.serve import night_info
from ticker.wire.stream_positions import id_key

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_the_page_shows_the_1839_estimate_only_after_1900(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    night, updates = night_of_29_january()
    at = night.instant
    before = [u for u in updates if u.seen <= at(time(18, 50))]
    estimate = next(u for u in before if u.kind == "estimate")
    for update in before:
        await append(store, update)
    await publish_clock(store, at(time(18, 50)), speed=60, paused=True)
    running = await start_broadcaster(
        night=night_info(night), embargo_closes=embargo_end(night), clock_interval=0.05
    )
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    shown = "return [...document.querySelectorAll('#feed [data-uid]')].map(e => e.dataset.uid);"
    uids = await run_js(browser, shown)
    assert uids
    assert estimate.uid not in uids
    await publish_clock(store, at(time(19, 0)), speed=60, paused=True)
    await wait_js(
        browser, f"document.querySelector('#feed [data-uid=\"{estimate.uid}\"]') !== null"
    )
    after = await run_js(browser, shown)
    assert set(uids) < set(after)
    assert len(after) == len(set(after))
    assert await run_js(browser, "return window.soiree.stats.duplicates;") == 0


async def test_a_staff_page_shows_the_estimate_sous_embargo_until_1900(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    night, updates = night_of_29_january()
    at = night.instant
    before = [u for u in updates if u.seen <= at(time(18, 50))]
    estimate = next(u for u in before if u.kind == "estimate")
    for update in before:
        await append(store, update)
    await publish_clock(store, at(time(18, 50)), speed=60, paused=True)
    running = await start_broadcaster(
        night=night_info(night),
        embargo_closes=embargo_end(night),
        clock_interval=0.05,
        access=AccessTokens(None, "staff-page-token"),
    )
    await asyncio.to_thread(browser.get, running.http_url("/?token=staff-page-token"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    item = f"document.querySelector('#feed [data-uid=\"{estimate.uid}\"]')"
    marks = "return [...document.querySelectorAll('#feed .item-embargo')].map(e => e.textContent);"
    assert await run_js(browser, f"return {item} !== null;")
    assert await run_js(browser, f"return {item}.querySelector('.item-embargo').textContent;") == (
        "sous embargo"
    )
    held = (
        "[...document.querySelectorAll('#feed .item:has(.item-embargo)')].map(e => e.dataset.kind)"
    )
    assert set(await run_js(browser, f"return {held};")) <= {"estimate", "count"}
    # A snapshot's embargo field missing or malformed keeps the marks; its ids are never shown.
    ids = "[...document.querySelectorAll('#feed .item:has(.item-embargo)')].map(e => e.dataset.id)"
    marked = await run_js(browser, f"return {ids};")
    assert marked
    for field in ("null", "'x'", "{}", "{held: 'x'}", "{held: [1]}", "{held: [null]}"):
        await run_js(browser, f"window.soireePage.onEmbargo({field});")
        assert await run_js(browser, f"return {ids};") == marked, field
    hostile = '<img src=x onerror="window.__pwned=1">'
    listed = json.dumps({"held": [hostile, *marked]})
    await run_js(browser, f"window.soireePage.onEmbargo({listed});")
    assert await run_js(browser, f"return {ids};") == marked
    assert await run_js(browser, "return window.__pwned === undefined;")
    assert await run_js(browser, "return document.querySelector('img') === null;")
    assert "__pwned" not in await run_js(browser, "return document.body.textContent;")
    await publish_clock(store, at(time(19, 0)), speed=60, paused=True)
    await wait_js(browser, "document.querySelector('#feed .item-embargo') === null")
    assert await run_js(browser, marks) == []
    assert await run_js(browser, "return window.soiree.stats.duplicates;") == 0


async def test_a_staff_page_away_at_a_release_drops_the_mark_when_back(
    store: StreamStore,
    start_broadcaster: BroadcasterStarter,
    browser: webdriver.Chrome,
    redis_url: str,
) -> None:
    """The staff page shows the 18:39 estimate "sous embargo" at 18:45; the page's connection is
    cut, the broadcaster stops, an editor releases the estimate, a new broadcaster starts: the
    page, back with a ``since`` past the estimate (not sent again), shows it once, unmarked."""
    running, estimate = await _staff_ticker_at_1845(store, start_broadcaster)
    async with _door(running.port) as door:
        page = f"http://127.0.0.1:{door.port}/?token={STAFF}"
        await asyncio.to_thread(browser.get, page)
        await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
        item = f"document.querySelector('#feed [data-uid=\"{estimate.uid}\"]')"
        assert await run_js(
            browser, f"return {item}.querySelector('.item-embargo').textContent;"
        ) == ("sous embargo")
        estimate_id = await run_js(browser, f"return {item}.dataset.id;")
        received = await run_js(browser, "return window.soiree.stats.received;")
        door.shut()
        await running.stop()
        await wait_js(browser, "document.documentElement.dataset.connection === 'offline'")
        await asyncio.to_thread(
            _embargo, redis_url, store.stream, "release", "--reason", "accord de la rédaction"
        )
        restarted = await _start(start_broadcaster)
        await _public_client_gets(restarted, estimate)
        door.open_to(restarted.port)
        await wait_js(
            browser,
            "document.documentElement.dataset.connection === 'live'"
            " && window.soiree.stats.connections >= 2",
            within=40.0,
        )
        # Resumed past the estimate, which was not sent again: the snapshot dropped the mark.
        assert id_key(await run_js(browser, "return window.soiree.lastId;")) > id_key(estimate_id)
        assert await run_js(browser, "return window.soiree.stats.received;") == received
        assert (
            await run_js(browser, "return document.querySelector('#feed .item-embargo');") is None
        )
        copies = f"document.querySelectorAll('#feed [data-uid=\"{estimate.uid}\"]').length"
        assert await run_js(browser, f"return {copies};") == 1
        assert await run_js(browser, f"return {item}.hidden;") is False
        assert await run_js(browser, "return window.soiree.stats.duplicates;") == 0
