"""/sse in a real Chromium: an EventSource receives the night, resumes across a broadcaster
restart by itself (Last-Event-ID) with no duplicate and no loss, and stops on a bad id."""

from __future__ import annotations

import asyncio

import pytest
from selenium import webdriver

from ingest.store.stream_store import StreamStore
from tests.plugins.broadcaster import BroadcasterStarter, make_update
from tests.plugins.browser import browser, run_js, wait_js

__all__ = ["browser"]  # the fixture, used by name

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LISTEN = """
window.sseLog = {ids: [], duplicates: 0, opens: 0, errors: 0, live: 0};
const source = new EventSource(arguments[0]);
source.addEventListener('update', (event) => {
  const log = window.sseLog;
  if (log.ids.includes(event.lastEventId)) log.duplicates += 1;
  log.ids.push(event.lastEventId);
});
source.addEventListener('live', () => { window.sseLog.live += 1; });
source.onopen = () => { window.sseLog.opens += 1; };
source.onerror = () => { window.sseLog.errors += 1; window.sseLog.state = source.readyState; };
window.sseSource = source;
"""


async def test_an_event_source_resumes_after_a_restart_without_duplicates(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """EventSource: the night, a restart on the same port, the rest once each."""
    ids = [(await store.append(make_update(n))).id for n in range(1, 6)]
    first = await start_broadcaster(sse_retry_ms=200)
    port = first.port
    await asyncio.to_thread(browser.get, first.http_url("/"))
    await asyncio.to_thread(browser.execute_script, LISTEN, "/sse?since=0")
    await wait_js(browser, f"window.sseLog.ids.length === {len(ids)} && window.sseLog.live === 1")
    await first.stop()
    ids += [(await store.append(make_update(n))).id for n in range(6, 11)]
    second = await start_broadcaster(port=port, sse_retry_ms=200)
    await wait_js(browser, f"window.sseLog.ids.length >= {len(ids)} && window.sseLog.live >= 2")
    log = await run_js(browser, "return window.sseLog;")
    assert log["ids"] == ids
    assert log["duplicates"] == 0
    assert log["opens"] >= 2
    # Live updates after the resume come through too.
    ids.append((await store.append(make_update(11))).id)
    await wait_js(browser, f"window.sseLog.ids.length === {len(ids)}")
    await run_js(browser, "window.sseSource.close();")
    assert second.broadcaster.last_id == ids[-1]


async def test_an_event_source_with_a_bad_id_gets_the_error_and_stops(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """A malformed since: HTTP 400, EventSource fires error and closes (no retry loop)."""
    await store.append(make_update(1))
    running = await start_broadcaster(sse_retry_ms=100)
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await asyncio.to_thread(browser.execute_script, LISTEN, "/sse?since=garbage")
    await wait_js(browser, "window.sseLog.errors >= 1")
    await asyncio.sleep(0.5)
    log = await run_js(browser, "return window.sseLog;")
    assert log["state"] == 2  # EventSource.CLOSED
    assert log["errors"] == 1
    assert log["opens"] == 0
