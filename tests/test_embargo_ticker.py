"""The staff terminal ticker follows the editors' embargo acts, on 29 January replayed.

Real parts: a real Redis, the replay's own writer of the virtual clock, the night's updates as a
replay appends them, ``soiree embargo release|hold`` and ``soiree ticker --once`` as processes.
The ticker's "sous embargo" mark follows the same rule as the broadcaster
(``ticker.wire.embargo``): an early release drops it, a hold past 19:00 keeps it.
"""

from __future__ import annotations

import asyncio
import re
from datetime import time
from time import time as time_now
from typing import TYPE_CHECKING

from rich.console import Console

from ingest.model.polls_close import embargo_end
from ingest.store.stream_store import StreamStore
from replay.runner import publish_clock
from tests.plugins.broadcaster import BroadcasterStarter
from tests.test_embargo_broadcast import (
    STAFF,
    _embargo,
    _ticker_once,
    append,
    night_of_29_january,
)
from ticker.broadcast.access import AccessTokens
from ticker.commands.serve import night_info
from ticker.commands.ticker import view_of_night
from ticker.terminal.render_feed import FeedPanel
from ticker.terminal.ticker_view import TickerView
from ticker.terminal.ws_relay import WsRelay

if TYPE_CHECKING:
    from tests.plugins.ticker import TickerKit


def _estimate_item(frame: str) -> str:
    """The 18:39 estimate's item in the ticker's feed, its wrapped lines joined."""
    lines = frame.splitlines()
    start = next(n for n, line in enumerate(lines) if re.search(r"18:39\s+ESTIMATION", line))
    column = lines[start].index("18:39")
    return re.sub(r"[│\s]+", " ", " ".join(line[column:] for line in lines[start : start + 4]))


async def _night_until_1850(store: StreamStore) -> None:
    night, updates = night_of_29_january()
    for update in updates:
        if update.seen <= night.instant(time(18, 50)):
            await append(store, update)


async def test_an_early_release_drops_the_mark(store: StreamStore, redis_url: str) -> None:
    """Released by an editor at 18:45, the 18:39 estimate is public: at 18:50 the ticker no
    longer marks it, though polls close at 19:00."""
    night, _ = night_of_29_january()
    await _night_until_1850(store)
    await publish_clock(store, night.instant(time(18, 45)), speed=60, paused=True)
    await asyncio.to_thread(
        _embargo, redis_url, store.stream, "release", "--reason", "accord de la rédaction"
    )
    await publish_clock(store, night.instant(time(18, 50)), speed=60, paused=True)
    frame = await asyncio.to_thread(_ticker_once, redis_url, store.stream)
    assert "La Libre" in _estimate_item(frame)
    assert "embargo" not in frame


async def test_a_hold_past_closing_time_keeps_the_mark_until_released(
    store: StreamStore, redis_url: str
) -> None:
    """Held by an editor at 18:55, the estimate is still "sous embargo" at 19:05; released at
    19:10, the mark is gone."""
    night, _ = night_of_29_january()
    await _night_until_1850(store)
    await publish_clock(store, night.instant(time(18, 55)), speed=60, paused=True)
    await asyncio.to_thread(
        _embargo, redis_url, store.stream, "hold", "--reason", "chiffres belges à vérifier"
    )
    await publish_clock(store, night.instant(time(19, 5)), speed=60, paused=True)
    frame = await asyncio.to_thread(_ticker_once, redis_url, store.stream)
    assert "La Libre · sous embargo" in _estimate_item(frame)
    await publish_clock(store, night.instant(time(19, 10)), speed=60, paused=True)
    await asyncio.to_thread(_embargo, redis_url, store.stream, "release", "--reason", "vérifiés")
    frame = await asyncio.to_thread(_ticker_once, redis_url, store.stream)
    assert "La Libre" in _estimate_item(frame)
    assert "embargo" not in frame


async def test_the_ws_ticker_follows_the_broadcaster_s_marks(
    store: StreamStore, start_broadcaster: BroadcasterStarter, ticker: TickerKit, redis_url: str
) -> None:
    """``soiree ticker --ws`` with the staff token: the broadcaster's ``embargoed`` mark, not
    the closing time, says what is held; an editor's release at 18:45 drops it at once."""
    night, updates = night_of_29_january()
    await _night_until_1850(store)
    estimate = next(u for u in updates if u.kind == "estimate")
    await publish_clock(store, night.instant(time(18, 45)), speed=60, paused=True)
    running = await start_broadcaster(
        night=night_info(night),
        embargo_closes=embargo_end(night),
        access=AccessTokens(None, STAFF),
        clock_interval=0.05,
    )
    view = view_of_night(night)
    changes = ticker.changes()
    relay = WsRelay(running.ws_url("since=0-0"), view, notify=changes, token=STAFF)
    task = changes.watch(asyncio.create_task(relay.run()))
    try:
        await changes.until(lambda: estimate.uid in (view.embargo_marked or ()))
        assert "La Libre · sous embargo" in _estimate_item(_feed(view))
        await asyncio.to_thread(
            _embargo, redis_url, store.stream, "release", "--reason", "accord de la rédaction"
        )
        await changes.until(lambda: estimate.uid not in (view.embargo_marked or ()))
        frame = _feed(view)
        assert "La Libre" in _estimate_item(frame)
        assert "embargo" not in frame
    finally:
        await changes.stop(task)


def _feed(view: TickerView) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(FeedPanel(view, now=time_now()))
    return console.export_text()
