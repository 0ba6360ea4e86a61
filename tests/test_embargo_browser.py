"""The embargo on the web page, in a real headless Chromium: on 29 January replayed, the page
(a public client) does not show the 18:39 estimate at 18:50; it shows it once the replay's
clock reaches 19:00, when polls closed, without a reload.

Debian's Chromium (``tests/plugins/browser.py``), a real broadcaster and Redis; the clock hash
is written by the replay's own writer (:func:`replay.runner.publish_clock`).
"""

from __future__ import annotations

import asyncio
from datetime import time

import pytest
from selenium import webdriver

from ingest.model.polls_close import embargo_end
from ingest.store.stream_store import StreamStore
from replay.runner import publish_clock
from tests.plugins.broadcaster import BroadcasterStarter
from tests.plugins.browser import run_js, wait_js
from tests.test_embargo_broadcast import append, night_of_29_january
from ticker.broadcast.access import AccessTokens
from ticker.commands.serve import night_info

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
    await publish_clock(store, at(time(19, 0)), speed=60, paused=True)
    await wait_js(browser, "document.querySelector('#feed .item-embargo') === null")
    assert await run_js(browser, marks) == []
    assert await run_js(browser, "return window.soiree.stats.duplicates;") == 0
