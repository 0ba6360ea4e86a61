"""The staff terminal ticker follows the editors' embargo acts, on 29 January replayed.

Real parts: a real Redis, the replay's own writer of the virtual clock, the night's updates as a
replay appends them, ``soiree embargo release|hold`` and ``soiree ticker --once`` as processes.
The ticker's "sous embargo" mark follows the same rule as the broadcaster
(``ticker.wire.embargo``): an early release drops it, a hold past 19:00 keeps it. With ``--ws``
and the staff token, the broadcaster's own mark, also after the ticker was away at the release
(its connection cut by a real TCP relay in between, or the broadcaster restarted).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import time
from time import time as time_now
from typing import TYPE_CHECKING

import pytest
from rich.console import Console
from websockets.asyncio.client import connect

from ingest.model.polls_close import embargo_end
from ingest.model.update import Update
from ingest.runtime.backoff import Backoff
from ingest.store.stream_store import StreamStore
from replay.runner import publish_clock
from tests.plugins.broadcaster import BroadcasterStarter, RunningBroadcaster, recv_json
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
from ticker.terminal.ticker_view import ConnectionState, TickerView
from ticker.terminal.ws_relay import WsRelay
from ticker.wire.stream_positions import id_key

if TYPE_CHECKING:
    from tests.plugins.ticker import Changes, TickerKit


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
    running, _ = await _staff_ticker_at_1845(store, start_broadcaster)
    view = view_of_night(night_of_29_january()[0])
    changes = ticker.changes()
    relay = WsRelay(running.ws_url("since=0-0"), view, notify=changes, token=STAFF)
    task = changes.watch(asyncio.create_task(relay.run()))
    try:
        await changes.until(lambda: "sous embargo" in _feed(view))
        assert "La Libre · sous embargo" in _estimate_item(_feed(view))
        await asyncio.to_thread(
            _embargo, redis_url, store.stream, "release", "--reason", "accord de la rédaction"
        )
        await changes.until(lambda: "embargo" not in _feed(view))
        frame = _feed(view)
        assert "La Libre" in _estimate_item(frame)
        assert "embargo" not in frame
    finally:
        await changes.stop(task)


#: Reconnect at once (the ticker's own backoff, made short).
_FAST = Backoff(interval=0.05, max_backoff=0.2)


class _Door:
    """A TCP relay on 127.0.0.1 (port 0) to a broadcaster's port: :meth:`shut` cuts the
    connections through it and turns new ones away (closed at once) until :meth:`open_to`."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.is_open = True
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.is_open:
            writer.close()
            return
        try:
            upstream_reader, upstream = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, upstream}
        await asyncio.gather(_pipe(reader, upstream), _pipe(upstream_reader, writer))

    def shut(self) -> None:
        """Cut every connection through the door, and turn new ones away."""
        self.is_open = False
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    def open_to(self, target: int) -> None:
        """Let connections through again, to ``target``."""
        self.target = target
        self.is_open = True


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until either side ends; a connection cut (by :meth:`_Door.shut`) is an end too."""
    try:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def _door(target: int) -> AsyncIterator[_Door]:
    door = _Door(target)
    server = await asyncio.start_server(door._handle, "127.0.0.1", 0)
    door.port = int(server.sockets[0].getsockname()[1])
    try:
        yield door
    finally:
        door.shut()
        server.close()
        await server.wait_closed()


async def _staff_ticker_at_1845(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> tuple[RunningBroadcaster, Update]:
    """The night until 18:50 in the stream, the replay paused at 18:45, a broadcaster holding
    the 18:39 estimate for the public; the estimate."""
    night, updates = night_of_29_january()
    await _night_until_1850(store)
    await publish_clock(store, night.instant(time(18, 45)), speed=60, paused=True)
    running = await _start(start_broadcaster)
    return running, next(u for u in updates if u.kind == "estimate")


async def _start(start_broadcaster: BroadcasterStarter) -> RunningBroadcaster:
    night, _ = night_of_29_january()
    return await start_broadcaster(
        night=night_info(night),
        embargo_closes=embargo_end(night),
        access=AccessTokens(None, STAFF),
        clock_interval=0.05,
    )


async def _public_client_gets(running: RunningBroadcaster, estimate: Update) -> None:
    """A public client of ``running`` (no token: the read token is not set) gets the estimate:
    the broadcaster no longer holds it."""
    async with connect(running.ws_url("since=0-0")) as ws:
        while True:
            message = await recv_json(ws)
            if message["type"] == "update" and message["uid"] == estimate.uid:
                assert "embargoed" not in message
                return


async def _back_after_the_release(
    view: TickerView, relay: WsRelay, changes: Changes, estimate: Update
) -> None:
    """The ticker connected again, its second connection live: the estimate without its mark,
    though the broadcaster did not send it again (the ticker resumed past it)."""
    await changes.until(
        lambda: relay.connections == 2 and view.connection.state is ConnectionState.LIVE
    )
    shown = view.board.latest(estimate.uid)
    assert shown is not None
    assert shown.id is not None
    assert relay.cursor is not None
    assert id_key(relay.cursor) > id_key(shown.id)
    frame = _feed(view)
    assert "La Libre" in _estimate_item(frame)
    assert "embargo" not in frame


@pytest.mark.parametrize("broadcaster_restarted", [False, True], ids=["cut-off", "restart"])
async def test_the_ws_ticker_away_at_the_release_drops_the_mark_when_back(
    store: StreamStore,
    start_broadcaster: BroadcasterStarter,
    ticker: TickerKit,
    redis_url: str,
    broadcaster_restarted: bool,
) -> None:
    """The staff ticker is away while an editor releases the 18:39 estimate: its connection cut
    (the broadcaster, still up, sends the estimate again to the staff clients then connected), or
    the broadcaster stopped and a new one started (reading the acts from their start, it no longer
    holds it). Back with a ``since`` past the estimate, the ticker is not sent it again, yet no
    longer marks it."""
    running, estimate = await _staff_ticker_at_1845(store, start_broadcaster)
    async with _door(running.port) as door:
        view = view_of_night(night_of_29_january()[0])
        changes = ticker.changes()
        relay = WsRelay(
            f"ws://127.0.0.1:{door.port}/ws", view, notify=changes, token=STAFF, backoff=_FAST
        )
        task = changes.watch(asyncio.create_task(relay.run()))
        try:
            await changes.until(lambda: view.connection.state is ConnectionState.LIVE)
            assert "La Libre · sous embargo" in _estimate_item(_feed(view))
            door.shut()
            if broadcaster_restarted:
                await running.stop()
            await changes.until(lambda: view.connection.state is ConnectionState.RECONNECTING)
            await asyncio.to_thread(
                _embargo, redis_url, store.stream, "release", "--reason", "accord de la rédaction"
            )
            if broadcaster_restarted:
                running = await _start(start_broadcaster)
            await _public_client_gets(running, estimate)
            door.open_to(running.port)
            await _back_after_the_release(view, relay, changes, estimate)
        finally:
            await changes.stop(task)


def _feed(view: TickerView) -> str:
    console = Console(width=160, record=True, color_system=None)
    console.print(FeedPanel(view, now=time_now()))
    return console.export_text()
