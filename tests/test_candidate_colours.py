"""A candidate's colour from the night file: carried in ``hello``, drawn on its bars only.

The terminal ticker builds a true-colour style from the validated hex (never markup); the page,
in a real headless Chromium fed by a real broadcaster, paints the bar's fill (never text) and
still passes axe-core's rules. Without a colour, both keep their own palette.
"""

from __future__ import annotations

import asyncio
import io
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from rich.console import Console
from selenium import webdriver

from ingest.model.night import Night
from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.plugins.broadcaster import BroadcasterStarter
from tests.plugins.browser import axe_report, run_js, wait_js
from tests.test_protocol import validator
from ticker.commands.serve import night_info
from ticker.commands.ticker import view_of_night
from ticker.terminal import theme
from ticker.terminal.relay_messages import Hello, parse_server_message
from ticker.terminal.render_scoreboard import ScoreboardPanel
from ticker.terminal.ticker_view import TickerView
from ticker.wire.client_filter import Filter
from ticker.wire.protocol import hello_message

MACRON, LE_PEN = "Emmanuel Macron", "Marine Le Pen"
_SEEN = datetime(2017, 5, 8, 0, 30, tzinfo=UTC)
#: Test colours (not the night's): a blue for Macron, none for Le Pen (the palette's).
BLUE = "#3a6ea5"


def coloured_night(colours: dict[str, str | None]) -> Night:
    """The night of 7 May 2017 with these colours for its candidates."""
    night = find_night("2017-05-07").night
    candidates = tuple(replace(c, colour=colours.get(c.name)) for c in night.candidates)
    return replace(night, candidates=candidates)


def render(renderable: object) -> str:
    """As a true-colour terminal shows it (escape codes kept)."""
    console = Console(file=io.StringIO(), width=100, color_system="truecolor", force_terminal=True)
    console.print(renderable)
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


def final_view(night: Night) -> TickerView:
    view = view_of_night(night)
    view.board.apply_all(night_updates(find_night("2017-05-07"), seen=_SEEN))
    return view


def test_a_hex_colour_is_a_style_and_nothing_else_is() -> None:
    """Only six lower-case hex digits make a style, from their numbers; markup never does."""
    style = theme.hex_style(BLUE)
    assert style is not None
    assert style.color is not None
    assert style.color.triplet == (58, 110, 165)
    assert (style.bold, style.link, style.bgcolor) == (None, None, None)
    for hostile in ("[bold red]x", "red", "#3A6EA5", "#3a6ea", "#3a6ea5\n", " #3a6ea5", None, 3):
        assert theme.hex_style(hostile) is None, hostile


def test_the_ticker_draws_a_candidate_s_bar_in_its_colour() -> None:
    """Macron's bar in 58;110;165; Le Pen, without a colour, keeps the palette (no such code)."""
    view = final_view(coloured_night({MACRON: BLUE}))
    assert view.colours == {MACRON: BLUE}
    shown = render(ScoreboardPanel(view, now=_SEEN.timestamp()))
    rows = [line for line in shown.splitlines() if "Macron" in line or "Le Pen" in line]
    macron = next(line for line in rows if "Macron" in line)
    le_pen = next(line for line in rows if "Le Pen" in line)
    assert "38;2;58;110;165m█" in macron
    assert "38;2;58;110;165" not in le_pen
    # The name and its figure are text in the palette's style, not in the night's colour.
    assert "66,10" in macron
    plain = render(ScoreboardPanel(final_view(coloured_night({})), now=_SEEN.timestamp()))
    assert "38;2;58;110;165" not in plain


def test_hello_carries_the_colours_and_the_ws_ticker_checks_them() -> None:
    """``night.lists[].colour`` in ``hello`` (valid per the protocol schema); a hostile colour
    from a server is dropped by the ticker, never used as markup."""
    night = coloured_night({MACRON: BLUE})
    text = hello_message(
        version="0", stream="s", night=night_info(night), since=None, filter=Filter()
    )
    data = json.loads(text)
    validator("server_message").validate(data)
    assert [item.get("colour") for item in data["night"]["lists"]] == [BLUE, None]
    assert "colour" not in data["night"]["lists"][1]  # absent, as from an older server
    hello = parse_server_message(text)
    assert isinstance(hello, Hello)
    assert hello.colours == ((MACRON, BLUE),)
    data["night"]["lists"][1]["colour"] = "[blink]#ffffff"
    hostile = parse_server_message(json.dumps(data))
    assert isinstance(hostile, Hello)
    view = TickerView()
    view.set_colours(hostile.colours)
    assert view.colours == {MACRON: BLUE}
    assert not jsonschema_valid(data)


def jsonschema_valid(data: object) -> bool:
    """Whether the protocol schema accepts a server message."""
    return bool(validator("server_message").is_valid(data))


PAGE = r"""
return Array.from(document.querySelectorAll('#scoreboard-bars li.bar')).map((li) => [
  li.dataset.candidate, li.dataset.colour || null,
  getComputedStyle(li.querySelector('.fill')).backgroundColor,
  getComputedStyle(li.querySelector('.bar-name')).color]);
"""


@pytest.mark.browser
@pytest.mark.slow
async def test_the_page_paints_the_bar_s_fill_and_passes_axe(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """Macron's fill is the night's blue, Le Pen's the page's own; names keep the page's
    colours; axe-core's WCAG A/AA rules still hold."""
    for update in night_updates(find_night("2017-05-07"), seen=_SEEN):
        await store.append(update)
    night = coloured_night({MACRON: BLUE})
    running = await start_broadcaster(night=night_info(night))
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.querySelectorAll('#scoreboard-bars li.bar').length === 2")
    bars = {name: rest for name, *rest in await run_js(browser, PAGE)}
    assert bars[MACRON][:2] == [BLUE, "rgb(58, 110, 165)"]
    assert bars[LE_PEN][0] is None
    assert bars[LE_PEN][1] != "rgb(58, 110, 165)"
    assert bars[MACRON][2] == bars[LE_PEN][2]  # the text is never in the candidate's colour
    report = await axe_report(browser, "document")
    assert "error" not in report, report
    assert report["violations"] == [], report["violations"]
    assert report["passes"] > 10
