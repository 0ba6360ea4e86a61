"""The desk on the web page, in a real headless Chromium: a correction made with ``soiree desk
correct`` changes the page's board and its feed item, shown "corrigé à HH:MM" with the value
before on demand; a pinned update is on top; "L'essentiel" shows key events only.

Debian's Chromium (``tests/plugins/browser.py``), a real broadcaster and Redis, ``soiree desk``
and ``soiree dump --audit`` run as processes.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from selenium import webdriver

from ingest.model.figures import Figures
from ingest.model.update import Kind
from ingest.store.stream_store import StreamStore
from tests.cli_process import soiree
from tests.plugins.broadcaster import BroadcasterStarter, make_update
from tests.plugins.browser import run_js, wait_js
from ticker.broadcast.access import AccessTokens

pytestmark = [pytest.mark.browser, pytest.mark.slow]

READ = "read-page-token-31"
STAFF = "staff-page-token-32"


async def test_a_correction_pin_and_key_reach_the_page(
    store: StreamStore,
    start_broadcaster: BroadcasterStarter,
    browser: webdriver.Chrome,
    redis_url: str,
) -> None:
    shares = {"Benoît Hamon": 58.65, "Manuel Valls": 41.35}
    count = make_update(2, kind=Kind.COUNT, figures=Figures(shares=shares, counted_pct=60))
    for update in (make_update(1), count, make_update(3)):
        await store.append(update)
    running = await start_broadcaster(access=AccessTokens(READ, STAFF), clock_interval=0.05)
    await running.broadcaster.wait_warm()  # the board is the whole stream's
    await asyncio.to_thread(browser.get, running.http_url(f"/?token={READ}"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    await wait_js(browser, "window.soiree.board.current.rows[0].pct === 58.65")

    def desk(*args: str) -> None:
        result = soiree(
            "desk", *args, "--by", "Marie Dupont", "--stream", store.stream, "--redis-url",
            redis_url,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr

    figures = json.dumps({"shares": {"Benoît Hamon": 58.88, "Manuel Valls": 41.12}})
    await asyncio.to_thread(
        desk, "correct", count.uid, "--figures", figures, "--reason", "erreur de saisie"
    )
    await asyncio.to_thread(desk, "pin", "test:1")
    await asyncio.to_thread(desk, "key", "test:3")
    item = f"document.querySelector('#feed [data-uid=\"{count.uid}\"]')"
    await wait_js(browser, f"{item}.querySelector('.item-corrected') !== null")
    await wait_js(browser, "window.soiree.board.current.rows[0].pct === 58.88")
    assert "58,88 %" in await run_js(
        browser, f"return {item}.querySelector('.item-figures').textContent;"
    )
    assert "58,88" in await run_js(
        browser, "return document.getElementById('scoreboard-bars').textContent;"
    )
    note = await run_js(browser, f"return {item}.querySelector('.item-corrected').textContent;")
    assert re.fullmatch(r"corrigé à \d\d:\d\d", note)
    previous = f"{item}.querySelector('.item-previous')"
    assert await run_js(browser, f"return {previous}.hidden;") is True
    await run_js(browser, f"{item}.querySelector('.item-corrected').click();")
    assert await run_js(browser, f"return {previous}.hidden;") is False
    assert "58,65 %" in await run_js(browser, f"return {previous}.textContent;")
    # The pin: on top of the feed, above newer updates.
    await wait_js(browser, "document.querySelector('#feed .item').dataset.uid === 'test:1'")
    # L'essentiel: key events only.
    await wait_js(browser, "document.querySelector('#feed .item-key') !== null")
    await run_js(browser, "document.getElementById('essential-toggle').click();")
    visible = (
        "return [...document.querySelectorAll('#feed .item')]"
        ".filter(e => e.offsetParent !== null).map(e => e.dataset.uid);"
    )
    assert await run_js(browser, visible) == ["test:3"]
    await run_js(browser, "document.getElementById('essential-toggle').click();")
    assert len(await run_js(browser, visible)) == 3
    audit = await asyncio.to_thread(
        soiree, "dump", "--audit", "--stream", store.stream, "--redis-url", redis_url
    )
    lines = [json.loads(line) for line in audit.stdout.splitlines()]
    assert [(line["action"], line["who"]) for line in lines] == [
        ("correct", "Marie Dupont"),
        ("pin", "Marie Dupont"),
        ("key", "Marie Dupont"),
    ]
    assert lines[0]["previous"]["figures"]["shares"] == shares
