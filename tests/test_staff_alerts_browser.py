"""The staff view of the page, in a real headless Chromium: alerts appended to the stream are
shown to a page opened with the staff token (a banner, role="alert", and a list, newest first,
each acknowledged with its "Vu" button, by keyboard too), never to a readers' page.

Debian's Chromium (``tests/plugins/browser.py``), a real broadcaster and Redis. The alert's text
carries markup: it is shown as text. The staff page passes axe-core's WCAG A/AA rules with its
alerts shown.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from ingest.model.update import Kind, Update
from ingest.store.stream_store import StreamStore
from tests.plugins.broadcaster import BroadcasterStarter, make_update
from tests.plugins.browser import axe_report, run_js, wait_js
from ticker.alerts.engine import ALERT_SOURCE
from ticker.broadcast.access import AccessTokens

pytestmark = [pytest.mark.browser, pytest.mark.slow]

READ = "read-alerts-token-41"
STAFF = "staff-alerts-token-42"
HOSTILE = 'Benoît Hamon passe 55 % <img src=x onerror="document.title=1">'


def _alert(rule: str, text: str, minute: int) -> Update:
    return Update(
        uid=f"alert:{rule}:1",
        at=datetime(2017, 1, 29, 19, 0, tzinfo=UTC) + timedelta(minutes=minute),
        source=ALERT_SOURCE,
        kind=Kind.ALERT,
        text=text,
        seen=datetime.now(UTC),
    )


LIST = "[...document.querySelectorAll('#staff-alerts-list .staff-alert')]"


async def test_alerts_show_on_the_staff_page_only(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    await store.append(make_update(1))
    running = await start_broadcaster(access=AccessTokens(READ, STAFF), clock_interval=0.05)
    await running.broadcaster.wait_warm()

    # A readers' page: the alert never reaches it (alerts are staff-only), nor is shown.
    await asyncio.to_thread(browser.get, running.http_url(f"/?token={READ}"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    await store.append(_alert("first-estimate", "Estimation : première estimation", 39))
    await store.append(make_update(2))
    await wait_js(browser, "document.querySelector('#feed [data-uid=\"test:2\"]') !== null")
    assert await run_js(browser, "return window.soiree.staff;") is False
    assert await run_js(browser, "return document.getElementById('staff-alerts').hidden;")
    assert await run_js(browser, "return document.getElementById('alert-banner').hidden;")
    page = await run_js(browser, "return document.documentElement.textContent;")
    assert "première estimation" not in page

    # The staff page: the alert of the backlog, then one appended live, newest first.
    await asyncio.to_thread(browser.get, running.http_url(f"/?token={STAFF}"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    await wait_js(browser, f"{LIST}.length === 1")
    assert await run_js(browser, "return window.soiree.staff;") is True
    await store.append(_alert("hamon-55", HOSTILE, 41))
    await wait_js(browser, f"{LIST}.length === 2")
    shown = await run_js(
        browser, f"return {LIST}.map(li => li.querySelector('.staff-alert-text').textContent);"
    )
    assert shown == [HOSTILE, "Estimation : première estimation"]
    assert (
        await run_js(browser, "return document.querySelectorAll('#staff-alerts img').length;") == 0
    )
    assert await run_js(browser, "return document.title;") != "1"
    banner = "document.getElementById('alert-banner-text')"
    assert await run_js(browser, f"return {banner}.getAttribute('role');") == "alert"
    text = await run_js(browser, f"return {banner}.textContent;")
    assert text == f"Alerte · 20h41 · {HOSTILE} (+1)"
    # Nothing in the feed: alerts are the staff view's.
    assert (
        await run_js(browser, "return document.querySelector('#feed [data-uid^=\"alert:\"]');")
        is None
    )

    report = await axe_report(browser)
    assert "error" not in report, report
    assert report["violations"] == [], report["violations"]

    # The keyboard: the newest alert's "Vu" button, reached by Tab, pressed with Enter.
    buttons = await asyncio.to_thread(
        browser.find_elements, By.CSS_SELECTOR, "#staff-alerts-list .staff-alert-ack"
    )
    await run_js(browser, "document.getElementById('staff-alerts-title').focus();")
    await asyncio.to_thread(browser.switch_to.active_element.send_keys, Keys.TAB)
    assert await run_js(browser, "return document.activeElement;") == buttons[0]
    await asyncio.to_thread(browser.switch_to.active_element.send_keys, Keys.ENTER)
    await wait_js(browser, f"{LIST}[0].classList.contains('acknowledged')")
    assert await run_js(browser, f"return {banner}.textContent;") == (
        "Alerte · 20h39 · Estimation : première estimation"
    )
    # The focus moved to the alert still waiting.
    assert await run_js(browser, "return document.activeElement;") == buttons[1]
    await run_js(browser, "document.getElementById('alert-banner-ack').click();")
    await wait_js(browser, "document.getElementById('alert-banner').hidden")
    assert await run_js(browser, "return window.soireeStaff.alerts;") == [
        {"uid": "alert:first-estimate:1", "acknowledged": True},
        {"uid": "alert:hamon-55:1", "acknowledged": True},
    ]
    assert (
        await run_js(browser, "return document.getElementById('staff-alerts-count').textContent;")
        == "toutes vues"
    )
