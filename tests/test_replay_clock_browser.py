"""The web page in a real headless Chromium shows a replay's clock: "replay" and its speed, then "en
pause" when the replay pauses, the resume, and "terminé" at its end; the paused header passes
axe-core's rules.

Debian's Chromium (``tests/plugins/browser.py``), a real broadcaster and Redis; the clock hash
is written by the replay's own writer (:func:`replay.runner.publish_clock`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from selenium import webdriver

from ingest.store import keys
from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from replay.runner import publish_clock
from tests.plugins.broadcaster import BroadcasterStarter, make_update
from tests.plugins.browser import axe_report, run_js, wait_js
from ticker.commands.serve import night_info

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PARIS = timezone(timedelta(hours=1))
AT_2041 = datetime(2017, 1, 29, 20, 41, tzinfo=PARIS)
TIMES = "\u00d7"  # the multiplication sign of the speed label
HEADER = (
    "({clock: document.getElementById('replay-clock').textContent.replace(/\\s+/g, ' ').trim(),"
    " hidden: document.getElementById('replay-clock').hidden,"
    " replay: document.documentElement.dataset.replay,"
    " kicker: document.getElementById('kicker').textContent,"
    " connection: document.getElementById('connection-text').textContent})"
)


async def test_the_page_shows_the_replay_running_paused_resumed_and_finished(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """The header reads the server's clock: its speed, en pause, resumed, terminé; no clock."""
    await store.append(make_update(1))
    await publish_clock(store, AT_2041, speed=60, paused=False)
    running = await start_broadcaster(
        night=night_info(find_night("2017-01-29").night), clock_interval=0.05
    )
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    header = await run_js(browser, f"return {HEADER};")
    assert header["hidden"] is False
    assert header["clock"] == f"20h41 replay {TIMES}60"
    assert header["connection"] == "En direct"

    await publish_clock(store, AT_2041 + timedelta(minutes=3), speed=60, paused=True)
    await wait_js(browser, "document.documentElement.dataset.replay === 'paused'")
    header = await run_js(browser, f"return {HEADER};")
    assert header["clock"] == "20h44 replay en pause"
    assert header["kicker"] == "Soirée électorale · en pause"
    assert header["connection"] == "En pause"
    assert await run_js(browser, "return window.soiree.clock.paused;") is True

    await publish_clock(store, AT_2041 + timedelta(minutes=4), speed=60, paused=False)
    await wait_js(browser, "document.documentElement.dataset.replay === 'running'")
    header = await run_js(browser, f"return {HEADER};")
    assert header["clock"] == f"20h45 replay {TIMES}60"
    assert header["connection"] == "En direct"

    await publish_clock(store, AT_2041 + timedelta(hours=2), speed=60, paused=False, finished=True)
    await wait_js(browser, "document.documentElement.dataset.replay === 'finished'")
    header = await run_js(browser, f"return {HEADER};")
    assert header["clock"] == "22h41 replay terminé"
    assert f"{TIMES}60" not in header["clock"]
    assert header["kicker"] == "Soirée électorale · terminée"
    assert header["connection"] == "Terminé"

    # No replay clock any more: nothing of a replay in the header.
    await running.redis.delete(keys.replay_clock_key(store.stream))
    await wait_js(browser, "document.getElementById('replay-clock').hidden")
    header = await run_js(browser, f"return {HEADER};")
    assert header["replay"] == ""
    assert header["connection"] == "En direct"


async def test_the_paused_header_passes_the_accessibility_rules(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """axe-core's WCAG A/AA rules hold with the replay's clock shown, paused."""
    await store.append(make_update(1))
    await publish_clock(store, AT_2041, speed=60, paused=True)
    running = await start_broadcaster(clock_interval=0.05)
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.replay === 'paused'")
    report = await axe_report(browser, "document.querySelector('header')")
    assert "error" not in report, report
    assert report["violations"] == [], report["violations"]
    assert report["passes"] > 0
