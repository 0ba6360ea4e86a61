"""One board, every view: the broadcaster's snapshot, the terminal frame and the page agree.

The night of 29 January is appended update by update to a real Redis stream read by a real
broadcaster; after every update a fresh websocket client's snapshot, the terminal ticker's board
(the rule run on the same updates, as ``soiree ticker`` on Redis does) and its rendered frame
are compared; the page, in a real headless Chromium, at the key moments of the night and on a
sample of the others. The page then passes axe-core's accessibility rules.
"""

from __future__ import annotations

import asyncio
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from ingest.model.update import Figures, Kind
from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_json, recv_until
from tests.plugins.browser import axe_report, run_js, wait_js
from tests.plugins.ticker import TickerKit
from ticker.board.board_json import board_to_json
from ticker.board.board_state import BoardState
from ticker.commands.serve import night_info
from ticker.terminal.french_format import group_thousands, percent
from ticker.terminal.render_scoreboard import ScoreboardPanel
from ticker.terminal.render_turnout import TurnoutPanel
from ticker.terminal.ticker_view import Connection, ConnectionState, TickerView
from ticker.terminal.ws_relay import WsRelay

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CAPTURES = Path(__file__).resolve().parent.parent / "docs" / "captures"
#: With SOIREE_WRITE_CAPTURES=1, the page is photographed for the docs after these updates
#: (20:45: the last update before it is the 20:41 count) and at the end of the night.
SCREENSHOTS = {"liveblog:1958": "page-1958.png", "results:count-2041": "page-2045.png"}

#: The moments the issue names, checked in the page too (after the update of that uid).
KEY_MOMENTS = {
    "results:turnout-1200",  # 12:00: nothing counted, 567 563 voters
    "results:turnout-1700",  # 17:00: 1 306 852 voters
    "liveblog:1958",  # 19:58: the OpinionWay estimate, labelled estimate
    "results:count-2041",  # 20:41: 58.65 / 41.35 at 60 %, 2 sources
    "results:count-national-final",  # 23:00: 58.72 / 41.28, final
}
PAGE_SAMPLE = 9  # and every 9th update besides

PAGE_SUMMARY = r"""
const bars = Array.from(document.querySelectorAll('#scoreboard-bars li.bar'));
const label = document.getElementById('scoreboard-label');
const counted = document.getElementById('counted');
return {
  kind: label.hidden ? null : label.dataset.kind,
  rows: bars.map((li) => [li.dataset.candidate, Number(li.dataset.share)]),
  counted: counted.hidden ? null
    : document.getElementById('counted-value').textContent.replace(/\s/g, ' '),
  round: document.getElementById('scoreboard-round').dataset.round || null,
  turnout: Array.from(document.querySelectorAll('#turnout-list li')).map(
    (li) => [li.dataset.at, li.dataset.voters || null]),
  state: document.getElementById('night-state').dataset.state || null,
  lastId: window.soiree.lastId,
};
"""


def expected_page(board: dict[str, Any], last_id: str) -> dict[str, Any]:
    """What the page must show of a served board (in the page's own formats)."""
    current = board["current"]
    counted = None if current is None else current["figures"].get("counted_pct")
    return {
        "kind": None if current is None else current["kind"],
        "rows": [] if current is None else [[r["name"], r["pct"]] for r in current["rows"]],
        "counted": None if counted is None else re.sub(r"\s", " ", percent(counted)),
        "round": str(board["round"]),
        "turnout": [
            [
                point["at"],
                None if "voters" not in point["figures"] else str(point["figures"]["voters"]),
            ]
            for point in board["turnout"]
        ],
        "state": board["state"],
        "lastId": last_id,
    }


def expected_frame_text(board: dict[str, Any]) -> list[str]:
    """Strings the terminal frame must hold for a served board."""
    wanted = ["second tour" if board["round"] == 2 else "premier tour"]
    current = board["current"]
    if current is None:
        wanted.append("En attente des premiers résultats")
    else:
        wanted.append("Estimation" if current["kind"] == "estimate" else "Résultats")
        places = None if current["kind"] == "estimate" else 2
        wanted += [percent(row["pct"], places=places) for row in current["rows"]]
    voters = [p["figures"]["voters"] for p in board["turnout"] if "voters" in p["figures"]]
    if voters:
        wanted.append(group_thousands(voters[-1]))
    return wanted


async def snapshot_board(url: str) -> tuple[dict[str, Any], str | None]:
    """The board and last id of a fresh client's snapshot."""
    async with ws_connect(url) as ws:
        assert (await recv_json(ws))["type"] == "hello"
        snapshot = await recv_json(ws)
    assert snapshot["type"] == "snapshot"
    return snapshot["board"], snapshot["last_id"]


async def screenshot(browser: webdriver.Chrome, name: str) -> None:
    """Photograph the whole page into docs/captures/ (only with SOIREE_WRITE_CAPTURES=1)."""
    if os.environ.get("SOIREE_WRITE_CAPTURES") != "1":
        return
    CAPTURES.mkdir(parents=True, exist_ok=True)
    await run_js(browser, "window.scrollTo(0, 0);")
    height = await run_js(browser, "return document.documentElement.scrollHeight;")
    await asyncio.to_thread(browser.set_window_size, 1280, min(2400, int(height) + 120))
    await asyncio.to_thread(browser.save_screenshot, str(CAPTURES / name))
    await asyncio.to_thread(browser.set_window_size, 1280, 800)


async def until_update(ws: ClientConnection, entry_id: str) -> None:
    """Read until the update ``entry_id``: once a live client has it, the board has it too."""
    while True:
        message = await recv_json(ws)
        if message["type"] == "update" and message["id"] == entry_id:
            return


async def page_shows(browser: webdriver.Chrome, wanted: dict[str, Any]) -> dict[str, Any]:
    """The page's summary once it shows ``wanted`` (or when time is up: the last one read)."""
    deadline = asyncio.get_running_loop().time() + 10 * TIMEOUT_FACTOR
    while True:
        shown: dict[str, Any] = await run_js(browser, PAGE_SUMMARY)
        if shown == wanted or asyncio.get_running_loop().time() > deadline:
            return shown
        await asyncio.sleep(0.03)


async def test_snapshot_terminal_and_page_show_the_same_board_at_every_update(
    store: StreamStore,
    start_broadcaster: BroadcasterStarter,
    browser: webdriver.Chrome,
    ticker: TickerKit,
) -> None:
    """After every update: snapshot board == terminal board; frame and page show it."""
    fixture = find_night("2017-01-29")
    night = fixture.night
    running = await start_broadcaster(night=night_info(night))
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    terminal = TickerView(
        board=BoardState(round=night.round),
        title=night.title,
        timezone=night.timezone,
        night_date=night.date,
        connection=Connection(ConnectionState.LIVE),
    )
    terminal.board.add_candidates(candidate.name for candidate in night.candidates)
    page_checks = 0
    live = await ws_connect(running.ws_url("since=$"))
    await recv_until(live, "live")
    for index, update in enumerate(night_updates(fixture, seen=datetime.now(UTC))):
        outcome = await store.append(update)
        assert outcome.id is not None
        stored = update.with_stream(id=outcome.id, op=outcome.op)
        terminal.board.apply(stored)
        await until_update(live, outcome.id)
        served, last_id = await snapshot_board(running.ws_url("since=$"))
        assert last_id == outcome.id
        where = f"after {update.uid} ({update.at:%d %H:%M})"
        assert board_to_json(terminal.board.board()) == served, where
        frame = ticker.render(ScoreboardPanel(terminal, now=ticker.now)) + ticker.render(
            TurnoutPanel(terminal, now=ticker.now)
        )
        for text in expected_frame_text(served):
            assert text in frame, f"{where}: {text!r} not in the frame:\n{frame}"
        if update.uid in KEY_MOMENTS or index % PAGE_SAMPLE == 0:
            wanted = expected_page(served, outcome.id)
            assert await page_shows(browser, wanted) == wanted, where
            page_checks += 1
        if update.uid in SCREENSHOTS:
            await screenshot(browser, SCREENSHOTS[update.uid])
    await live.close()
    assert page_checks >= len(KEY_MOMENTS)
    await wait_js(browser, f"window.soiree.lastId === '{outcome.id}'")
    await screenshot(browser, "page-end.png")
    # The end of the night: over, and the page says so.
    assert served["state"] == "over"
    assert await run_js(browser, "return document.getElementById('connection-text').textContent")
    assert (
        await run_js(browser, "return document.getElementById('connection-text').textContent")
        == "Terminé"
    )

    # A ticker relaying the broadcaster (--ws) shows the served board, not one of its own.
    relayed = TickerView()
    await WsRelay(running.ws_url(), relayed).run(until_live=True)
    assert relayed.board.relayed
    assert board_to_json(relayed.board.board()) == served

    # The feed shows each point of two sources once, with "2 sources".
    visible = await run_js(
        browser,
        "return Array.from(document.querySelectorAll('#feed > li:not([hidden])'))"
        ".map((li) => [li.dataset.uid, li.querySelector('.item-group').textContent]);",
    )
    shown = dict(visible)
    for pair in (
        ("liveblog:1759", "results:turnout-1700"),
        ("liveblog:2041", "results:count-2041"),
    ):
        assert [shown[uid] for uid in pair if uid in shown] == ["2 sources"], pair
    # Results by scope: by name, then by margin at a click.
    scopes = (
        "return Array.from(document.querySelectorAll('#scopes-body tr'))"
        ".map((tr) => tr.dataset.scope);"
    )
    assert await run_js(browser, scopes) == ["Aveyron", "Loire", "Lot"]
    await run_js(browser, "document.querySelector('[data-sort=margin]').click();")
    assert await run_js(browser, scopes) == ["Lot", "Aveyron", "Loire"]  # 55,6 · 54,7 · 21,6
    assert (
        await run_js(
            browser,
            "return document.querySelector('[data-sort=margin]').closest('th')"
            ".getAttribute('aria-sort');",
        )
        == "descending"
    )
    # The charts have their text equivalents.
    desc = await run_js(
        browser, "return document.getElementById('turnout-chart-desc').textContent;"
    )
    assert "12h00 : 567\u202f563 votants (1er tour : 400\u202f000)" in desc

    # Accessibility: axe-core's WCAG A/AA rules on the page as it stands at the end of the night.
    report = await axe_report(browser, "document")
    assert "error" not in report, report
    assert report["violations"] == [], report["violations"]
    assert report["passes"] > 10


async def test_the_page_shows_both_figures_when_two_sources_disagree(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """Two counts of one minute that differ: both in the feed, flagged, both on the scoreboard."""
    night = find_night("2017-01-29").night
    running = await start_broadcaster(night=night_info(night))
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    for n, (source, hamon) in enumerate((("liveblog", 58.65), ("results", 58.1)), start=1):
        figures = Figures(shares={"Benoît Hamon": hamon, "Manuel Valls": round(100 - hamon, 2)})
        await store.append(
            make_update(n, kind=Kind.COUNT, source=source, figures=figures, minute=41)
        )
    flagged = await wait_js(
        browser,
        "document.querySelectorAll('#feed > li.disputed:not([hidden])').length === 2"
        " && document.getElementById('scoreboard-note').textContent",
    )
    assert "Les sources divergent" in flagged
    assert "58,65" in flagged
    assert "58,1" in flagged
    labels = await run_js(
        browser,
        "return Array.from(document.querySelectorAll('#feed .item-group'))"
        ".map((node) => node.textContent);",
    )
    assert labels == ["⚠ sources en désaccord"] * 2
