"""The night of 7 May 2017 shows a département table, in the terminal ticker and on the page.

The night's updates (``fixtures/2017-05-07``: six départements given by the liveblog late in
the evening) are fed to the ticker's view, and appended to a real Redis stream read by a real
broadcaster announcing that night for a real headless Chromium.
"""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
from rich.console import Console
from selenium import webdriver

from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.plugins.broadcaster import BroadcasterStarter
from tests.plugins.browser import run_js, wait_js
from ticker.commands.serve import night_info
from ticker.commands.ticker import view_of_night
from ticker.terminal.render_departments import DepartmentsPanel

NIGHT = "2017-05-07"
_SEEN = datetime(2017, 5, 7, 23, 0, tzinfo=UTC)
#: Macron's share as the ticker and the page write it, and Le Pen's.
DEPARTEMENTS = {
    "Paris": ("89,68 %", "10,32 %"),
    "Aisne": ("47,09 %", "52,91 %"),
    "Pas-de-Calais": ("47,95 %", "52,05 %"),
    "Nord": ("56,9 %", "43,1 %"),
    "Val-de-Marne": ("80,32 %", "19,68 %"),
    "Seine-et-Marne": ("63,86 %", "36,14 %"),
}

PAGE = r"""
const text = (node) => node ? node.innerText.replace(/\s+/g, ' ').trim() : null;
return Array.from(document.querySelectorAll('#scopes-body tr')).map(
  (tr) => [tr.dataset.scope, tr.dataset.level, text(tr)]);
"""


def render(renderable: object, *, width: int = 140) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


def test_the_ticker_shows_the_departement_table() -> None:
    """The terminal's panel lists the six départements, each with both shares."""
    night = find_night(NIGHT)
    view = view_of_night(night.night)
    view.board.apply_all(night_updates(night, seen=_SEEN))
    panel = render(DepartmentsPanel(view, now=_SEEN.timestamp()))
    assert "Départements" in panel
    lines = panel.splitlines()
    for name, shares in DEPARTEMENTS.items():
        line = next((line for line in lines if f"{name} " in line), None)
        assert line is not None, f"{name} missing from:\n{panel}"
        for share in shares:
            assert share in line, f"{name}: {share} not in {line!r}"


@pytest.mark.browser
@pytest.mark.slow
async def test_the_page_shows_the_departement_table(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """The page's table of scopes has the six départements, at that level, with both shares."""
    night = find_night(NIGHT)
    for update in night_updates(night, seen=_SEEN):
        await store.append(update)
    running = await start_broadcaster(night=night_info(night.night))
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    await wait_js(browser, "!document.getElementById('scopes-panel').hidden")
    rows = {scope: (level, shown) for scope, level, shown in await run_js(browser, PAGE)}
    assert sorted(rows) == sorted(DEPARTEMENTS), rows
    for name, shares in DEPARTEMENTS.items():
        level, shown = rows[name]
        assert level == "département"
        for share in shares:
            assert share in shown, f"{name}: {share} not in {shown!r}"
