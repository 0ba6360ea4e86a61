"""The web page (ticker/web/) in a real headless Chromium, against a real broadcaster and Redis.

Debian's ``/usr/bin/chromium`` driven by Selenium through ``/usr/bin/chromedriver``. These
tests fail (never skip) when the browser is missing: the page is part of the product.
Selenium is synchronous; every browser call goes through a thread so that the broadcaster,
on the test's event loop, keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException

from ingest.model.update import Kind, Update
from ingest.store.stream_store import StreamStore
from replay.clock import ReplayWindow, plan_replay
from replay.fixtures import find_night
from replay.runner import replay_into_stream
from replay.timeline import night_updates
from tests.plugins.broadcaster import BroadcasterStarter, make_update
from tests.plugins.browser import run_js, wait_js
from ticker.commands.serve import night_info

pytestmark = [pytest.mark.browser, pytest.mark.slow]

XSS = "<img src=x onerror=alert(1)>"
FEED_UIDS = "Array.from(document.querySelectorAll('#feed > li')).map((li) => li.dataset.uid)"


async def live_uids(store: StreamStore) -> list[str]:
    """The uids the stream holds that are not deleted, in stream order."""
    alive: dict[str, None] = {}
    for update in (await store.history()).updates:
        if update.op.value == "delete":
            alive.pop(update.uid, None)
        else:
            alive[update.uid] = None
    return list(alive)


async def test_the_page_follows_a_replay_and_resumes_after_a_restart(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """A replay shows the 20h41 count (58.65) and speeches; after a restart, nothing twice."""
    fixture = find_night()
    night = fixture.night
    updates = night_updates(fixture, seen=datetime.now(UTC))
    day = datetime.combine(night.date, datetime.min.time(), tzinfo=night.timezone)
    evening = day.replace(hour=20)
    before = [u for u in updates if day <= u.at < evening]
    during = [u for u in updates if evening <= u.at <= day.replace(hour=21, minute=5)]
    after = [u for u in updates if u.at > day.replace(hour=21, minute=5)]
    assert before
    assert during
    assert after
    await store.append_many(before)

    first = await start_broadcaster(night=night_info(night))
    await asyncio.to_thread(browser.get, first.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    assert await run_js(browser, "return document.getElementById('night-title').textContent")
    assert await run_js(browser, f"return {FEED_UIDS}.length") == len(before)

    # The evening, replayed on the virtual clock while the page watches.
    plan = plan_replay([u.at for u in during], ReplayWindow(speed=3000))
    report = await replay_into_stream(store, during, plan, speed=3000)
    assert report.appended == len(during)
    leading = await wait_js(
        browser,
        "document.querySelector('#scoreboard-bars li.bar.leading')"
        " && document.querySelector('#scoreboard-bars li.bar.leading').dataset.share === '58.65'"
        " && document.querySelector('#scoreboard-bars li.bar.leading').textContent",
    )
    assert "Benoît Hamon" in leading
    assert "58,65" in leading
    assert "60" in await run_js(browser, "return document.getElementById('counted').textContent")
    speaker = await wait_js(
        browser,
        "document.querySelector('#feed li.kind-speech .item-speaker')"
        " && document.querySelector('#feed li.kind-speech .item-speaker').textContent",
    )
    assert speaker in ("Manuel Valls", "Benoît Hamon")
    await wait_js(browser, f"{FEED_UIDS}.length === {len(await live_uids(store))}")
    assert await run_js(browser, "return document.querySelectorAll('#turnout-list li').length") > 0

    # Scrolled away from the top: new updates are announced, not pushed under the reader.
    await run_js(browser, "window.scrollTo(0, document.body.scrollHeight);")
    await store.append(replace(after[0], seen=datetime.now(UTC)))
    notice = await wait_js(
        browser,
        "!document.getElementById('new-updates').hidden"
        " && document.getElementById('new-updates').textContent",
    )
    assert notice.startswith("1 nouvelle mise à jour")

    # The server goes away; updates keep coming; a new server starts on the same port.
    await first.stop()
    await wait_js(browser, "document.documentElement.dataset.connection === 'offline'")
    await store.append_many([replace(u, seen=datetime.now(UTC)) for u in after[1:]])
    second = await start_broadcaster(port=first.port, night=night_info(night))
    await wait_js(
        browser,
        "document.documentElement.dataset.connection === 'live'"
        " && window.soiree.stats.connections >= 2",
    )
    expected = await live_uids(store)
    await wait_js(browser, f"{FEED_UIDS}.length === {len(expected)}")
    shown = await run_js(browser, f"return {FEED_UIDS};")
    assert sorted(shown) == sorted(expected)
    stats = await run_js(browser, "return window.soiree.stats;")
    assert stats["duplicates"] == 0
    assert stats["received"] == len((await store.history()).updates)
    assert await run_js(browser, "return window.soiree.lastId;") == await store.last_id()
    await second.stop()


async def test_ingested_text_stays_text_and_edits_and_deletes_apply_in_place(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """Markup in an update is shown as text and runs nothing; edits replace, deletes remove."""
    hostile = make_update(1, text=XSS, speaker='<b onmouseover="window.__pwned=1">x</b>')
    hostile = replace(hostile, kind=Kind.SPEECH)
    sneaky = make_update(
        2, text='<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    )
    sneaky = replace(sneaky, undated=True)  # its source gave no date: said beside its time
    doomed = make_update(3, text="à retirer")
    await store.append_many([hostile, sneaky, doomed])
    running = await start_broadcaster()
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")

    texts = await run_js(
        browser,
        "return Array.from(document.querySelectorAll('#feed .item-text'))"
        ".map((p) => p.textContent);",
    )
    assert XSS in texts
    assert sneaky.text in texts
    assert (
        await run_js(
            browser, "return document.querySelectorAll('#feed img, #feed script, #feed b').length"
        )
        == 0
    )
    assert await run_js(browser, "return window.__pwned === undefined;")
    undated = "return Array.from(document.querySelectorAll('#feed .item-undated'))" \
        ".map((n) => [n.closest('li').dataset.uid, n.textContent]);"  # fmt: skip
    assert await run_js(browser, undated) == [["test:2", "non daté"]]
    with pytest.raises(NoAlertPresentException):
        await asyncio.to_thread(lambda: browser.switch_to.alert.text)

    edited: Update = replace(doomed, text="corrigé", seen=datetime.now(UTC))
    await store.append(edited)
    await wait_js(
        browser,
        "document.querySelector('#feed li[data-uid=\"test:3\"] .item-text').textContent"
        " === 'corrigé'",
    )
    assert (await run_js(browser, f"return {FEED_UIDS};")).count("test:3") == 1
    assert await run_js(
        browser,
        "return document.querySelector('#feed li[data-uid=\"test:3\"] .item-edited') !== null;",
    )
    await store.delete(edited)
    await wait_js(browser, "document.querySelector('#feed li[data-uid=\"test:3\"]') === null")
    assert sorted(await run_js(browser, f"return {FEED_UIDS};")) == ["test:1", "test:2"]

    errors = [
        entry["message"]
        for entry in await asyncio.to_thread(browser.get_log, "browser")
        if entry["level"] == "SEVERE" and "/favicon" not in entry["message"]
    ]
    assert errors == [], errors
