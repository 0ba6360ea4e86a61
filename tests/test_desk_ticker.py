"""The desk in the terminal ticker: a real Redis, the ticker's own Redis feed, rich rendering.

The ticker reads ``<stream>:desk`` beside the stream: a pinned update is on top of its feed,
a corrected one shows the corrected figures, "corrigé à HH:MM" and the value before, and its
board counts the corrected figures; a source's markup in a reason is shown as text.
"""

from __future__ import annotations

import json
import re

from rich.console import Console

from ingest.model.figures import Figures
from ingest.model.update import Kind
from ingest.store.stream_store import StreamStore
from tests.plugins.broadcaster import make_update
from ticker.broadcast.desk_log import record
from ticker.terminal.redis_feed import RedisFeed
from ticker.terminal.render_feed import FeedPanel
from ticker.terminal.ticker_view import TickerView


def _render(view: TickerView) -> str:
    console = Console(width=200, record=True, color_system=None)
    console.print(FeedPanel(view, now=0.0))
    return console.export_text()


async def test_the_ticker_shows_pins_corrections_and_retractions(store: StreamStore) -> None:
    shares = {"Benoît Hamon": 58.65, "Manuel Valls": 41.35}
    count = make_update(2, kind=Kind.COUNT, figures=Figures(shares=shares, counted_pct=60))
    for update in (make_update(1), count, make_update(3)):
        await store.append(update)
    corrected = json.dumps({"shares": {"Benoît Hamon": 58.88, "Manuel Valls": 41.12}})
    for request in (
        {"action": "correct", "target": count.uid, "who": "Marie", "reason": "saisie",
         "figures": corrected},
        {"action": "pin", "target": "test:1", "who": "Marie"},
        {"action": "retract", "target": "test:3", "who": "Paul", "reason": "[red]doublon[/red]"},
    ):  # fmt: skip
        await record(store.redis, store.stream, request)
    view = TickerView()
    await RedisFeed(store, view).load()
    shown = _render(view)
    lines = [line for line in shown.splitlines() if "update " in line or "Dépouillement" in line]
    assert "update 1" in lines[0]
    assert "épinglé" in lines[0]
    assert re.search(r"corrigé à \d\d:\d\d \(avant : Benoît Hamon 58,65 %", shown)
    assert "retiré par la rédaction : [red]doublon[/red]" in shown
    current = view.board.board().current
    assert current is not None
    assert current.point.figures.shares["Benoît Hamon"] == 58.88
