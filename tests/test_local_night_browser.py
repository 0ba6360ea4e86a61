"""The web page of a local night in a real headless Chromium: the seats of the council as a bar
and as text, the results by canton and commune (votes when a text gives no shares), the lists'
heads, every source text as text; the panels pass axe-core's rules.

The fictional municipal night (``fixtures/2020-06-28-fictional``) is appended to a real Redis
stream read by a real broadcaster announcing that night (``hello``: its lists and seats).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from selenium import webdriver

from ingest.model.update import Figures, Kind, Update
from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.plugins.broadcaster import BroadcasterStarter
from tests.plugins.browser import axe_report, run_js, wait_js
from ticker.commands.serve import night_info

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NIGHT = "2020-06-28-fictional"
_SEEN = datetime(2020, 6, 28, 22, 0, tzinfo=UTC)
HOSTILE = '<img src=x onerror="window.__pwned=1">Bourg'

PAGE = r"""
const text = (node) => node ? node.innerText.replace(/\s+/g, ' ').trim() : null;
return {
  seatsHidden: document.getElementById('seats-panel').hidden,
  seatsMeta: text(document.getElementById('seats-meta')),
  seats: Array.from(document.querySelectorAll('#seats-list li.seat-row')).map(
    (li) => [li.dataset.list || null, li.dataset.seats || null, text(li)]),
  segments: Array.from(document.querySelectorAll('#seats-bar li')).map(text),
  barHidden: document.getElementById('seats-bar').getAttribute('aria-hidden'),
  heads: Array.from(document.querySelectorAll('#scoreboard-bars li.bar')).map(
    (li) => [li.dataset.candidate, text(li.querySelector('.bar-head'))]),
  scopes: Array.from(document.querySelectorAll('#scopes-body tr')).map(
    (tr) => [tr.dataset.scope, tr.dataset.level, text(tr.querySelector('td'))]),
  images: document.querySelectorAll('main img').length,
  overflow: [document.querySelector('aside.side'),
             ...document.querySelectorAll('aside.side .panel')].some(
    (node) => node.scrollWidth > node.clientWidth + 1),
  pwned: window.__pwned === 1,
};
"""


def hostile_commune() -> Update:
    """A commune's votes whose name, as a source wrote it, is markup: it must show as text."""
    return Update(
        uid="test:hostile",
        at=datetime(2020, 6, 28, 21, 30, tzinfo=timezone(timedelta(hours=2))),
        source="liveblog",
        kind=Kind.COUNT,
        text="texte",
        seen=_SEEN,
        round=2,
        figures=Figures(
            scope=HOSTILE,
            scope_kind="commune",
            votes={"Montlaur d'abord": 640, "Montlaur écologie": 212},
        ),
    )


async def test_the_page_shows_seats_heads_and_results_by_canton_and_commune(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    night = find_night(NIGHT)
    for update in night_updates(night, seen=_SEEN):
        await store.append(update)
    await store.append(hostile_commune())
    running = await start_broadcaster(night=night_info(night.night))
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    await wait_js(browser, "!document.getElementById('seats-panel').hidden")
    page = await run_js(browser, PAGE)

    assert page["seatsHidden"] is False
    assert page["seats"] == [
        [
            "Montlaur en commun",
            "24",
            "Montlaur en commun Claire Vasseur · DVG 24 sièges sur 35 · majorité absolue",
        ],
        ["Réussir Montlaur", "6", "Réussir Montlaur Hélène Marchand · LR-UDI 6 sièges sur 35"],
        ["Montlaur écologie", "3", "Montlaur écologie Karim Benali · EELV 3 sièges sur 35"],
        ["Montlaur d'abord", "2", "Montlaur d'abord Paul Rigaud · RN 2 sièges sur 35"],
    ]
    assert "35 sièges, majorité à 18" in page["seatsMeta"]
    # Each segment of the bar writes its number: the colour is never the only telling.
    assert page["segments"] == ["24", "6", "3", "2"]
    assert page["barHidden"] == "true"  # the list says it for a screen reader, once

    assert page["heads"] == [
        ["Montlaur en commun", "Claire Vasseur · DVG"],
        ["Réussir Montlaur", "Hélène Marchand · LR-UDI"],
        ["Montlaur écologie", "Karim Benali · EELV"],
        ["Montlaur d'abord", "Paul Rigaud · RN"],
    ]

    scopes = {scope: (level, scores) for scope, level, scores in page["scopes"]}
    assert scopes["canton de Montlaur-1"] == (
        "canton",
        "Montlaur en commun 44,2 % (3 912 voix), Réussir Montlaur 26 % (2 301 voix)",
    )
    assert scopes["canton de Montlaur-2"][0] == "canton"
    assert scopes["Saint-Ardoin"][0] == "commune"
    assert scopes["Saint-Ardoin"][1].startswith("Montlaur d'abord")
    # The source's markup is a name like any other: shown as its characters, never run.
    assert scopes[HOSTILE] == ("commune", "Montlaur d'abord 640 voix, Montlaur écologie 212 voix")
    assert page["images"] == 0
    assert page["pwned"] is False
    # A long name from a source wraps: it never widens a panel past the side column.
    assert page["overflow"] is False


async def test_the_local_night_s_panels_pass_the_accessibility_rules(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """axe-core's WCAG A/AA rules hold on the scoreboard, the seats and the territories."""
    night = find_night(NIGHT)
    for update in night_updates(night, seen=_SEEN):
        await store.append(update)
    running = await start_broadcaster(night=night_info(night.night))
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "!document.getElementById('seats-panel').hidden")
    await wait_js(browser, "!document.getElementById('scopes-panel').hidden")
    report = await axe_report(browser, "document.querySelector('aside.side')")
    assert "error" not in report, report
    assert report["violations"] == [], report["violations"]
    assert report["passes"] > 0
