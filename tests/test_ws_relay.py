"""Tests for ticker.terminal.ws_relay: the ticker relaying a real broadcaster, and a scripted
server."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from websockets.asyncio.server import ServerConnection, serve

from ingest.model.errors import CommandError
from ingest.runtime.backoff import Backoff
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from ticker.board.board_state import BoardState
from ticker.broadcast.broadcaster import Broadcaster
from ticker.commands.serve import night_info
from ticker.terminal.ticker_view import ConnectionState, TickerView
from ticker.terminal.ws_relay import WsRelay
from ticker.wire.client_filter import Filter

if TYPE_CHECKING:  # imported by pytest_plugins at run time, so that pytest rewrites its asserts
    from tests.plugins.ticker import BroadcasterForTicker, TickerKit


FAST: Backoff = Backoff(interval=0.05, max_backoff=0.2)
SOIREE = str(Path(sys.executable).with_name("soiree"))


def ws_url(broadcaster: Broadcaster) -> str:
    """The broadcaster's websocket URL."""
    return f"ws://127.0.0.1:{broadcaster.port}/ws"


async def append_until(store: StreamStore, ticker: TickerKit, hhmm: str, *, after: str = "") -> int:
    """Append the night's updates with ``after`` < at <= ``hhmm``; return how many."""
    updates = ticker.updates_until(hhmm)
    if after:
        known = {update.uid for update in ticker.updates_until(after)}
        updates = [update for update in updates if update.uid not in known]
    outcomes = await store.append_many([replace(update, id=None) for update in updates])
    assert all(outcome.appended for outcome in outcomes)
    return len(updates)


async def test_relay_once_reads_the_night_until_live(
    store: StreamStore, broadcasters: BroadcasterForTicker, ticker: TickerKit
) -> None:
    """Until ``live``: the night from hello, the whole backlog, the scoreboard at 20h45."""
    appended = await append_until(store, ticker, "20:45")
    running = await broadcasters.start(store.stream, night=night_info(ticker.night.night))
    view = TickerView()
    relay = WsRelay(ws_url(running), view)
    await relay.run(until_live=True)
    assert view.title == ticker.night.night.title
    assert view.board.night_round == 2
    assert view.board.applied == appended
    assert relay.cursor == await store.last_id()
    assert view.connection.state is ConnectionState.LIVE
    scoreboard = view.board.board().current
    assert scoreboard is not None
    assert [(row.name, row.pct) for row in scoreboard.rows] == [
        ("Benoît Hamon", 58.65),
        ("Manuel Valls", 41.35),
    ]
    assert view.origin == f"ws · 127.0.0.1:{running.port} · {store.stream}"


async def test_relay_asks_the_server_for_its_filters(
    store: StreamStore, broadcasters: BroadcasterForTicker, ticker: TickerKit
) -> None:
    """--kinds and --sources go to the server: only those updates come over the wire."""
    await append_until(store, ticker, "21:00")
    running = await broadcasters.start(store.stream)
    view = TickerView(board=BoardState(filter=Filter(kinds=frozenset({"speech"}))))
    await WsRelay(ws_url(running), view).run(until_live=True)
    assert view.board.applied == 7
    assert {item.update.kind.value for item in view.board.feed()} == {"speech"}


async def test_relay_resumes_after_the_server_restarts(
    store: StreamStore, broadcasters: BroadcasterForTicker, ticker: TickerKit
) -> None:
    """Server gone: reconnecting, with backoff; back: resumes after the last id, none twice."""
    first = await append_until(store, ticker, "20:45")
    running = await broadcasters.start(store.stream)
    port = running.port
    view = TickerView()
    changes = ticker.changes()
    relay = WsRelay(ws_url(running), view, notify=changes, backoff=FAST)
    relaying = changes.watch(asyncio.create_task(relay.run()))
    try:
        await changes.until(lambda: view.connection.state is ConnectionState.LIVE)
        assert view.board.applied == first
        await broadcasters.stop(running)
        await changes.until(lambda: view.connection.state is ConnectionState.RECONNECTING)
        assert view.connection.detail
        missed = await append_until(store, ticker, "20:56", after="20:45")
        await broadcasters.start(store.stream, port=port)
        await changes.until(
            lambda: (
                view.connection.state is ConnectionState.LIVE
                and view.board.applied == first + missed
            )
        )
        assert relay.connections == 2
        newest = view.board.feed(limit=missed)
        assert newest[0].update.uid == "liveblog:2056"
        # What was missed while away is news: highlighted.
        assert all(item.arrived is not None for item in newest)
    finally:
        await changes.stop(relaying)
    assert view.board.applied == first + missed  # nothing twice


async def test_relay_resumes_from_the_last_id_it_saw(ticker: TickerKit) -> None:
    """A scripted server: the second connection asks since= the later of update and live ids."""
    update = ticker.updates_until("20:41")[-1].to_json()
    paths: list[str] = []

    async def handler(connection: ServerConnection) -> None:
        assert connection.request is not None
        paths.append(connection.request.path)
        await connection.send(json.dumps({"type": "hello", "night": None}))
        await connection.send(json.dumps({"type": "snapshot", "health": {}}))
        if len(paths) == 1:
            await connection.send(json.dumps({"type": "update", **update, "id": "10-0"}))
            await connection.send(json.dumps({"type": "live", "last_id": "20-0"}))
            await connection.close(1011, "going down")
        else:
            await connection.send(json.dumps({"type": "live", "last_id": "20-0"}))
            await connection.wait_closed()

    changes = ticker.changes()
    async with serve(changes.guard(handler), "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        view = TickerView()
        relay = WsRelay(f"ws://127.0.0.1:{port}/ws?token=t", view, notify=changes, backoff=FAST)
        relaying = changes.watch(asyncio.create_task(relay.run()))
        try:
            await changes.until(lambda: len(paths) == 2 and relay.connections == 2)
        finally:
            await changes.stop(relaying)
    assert paths == ["/ws?token=t&since=0-0", "/ws?token=t&since=20-0"]
    assert view.board.applied == 1


async def test_relay_once_fails_clearly_without_a_server() -> None:
    """--once against nothing: a CommandError naming the server, not a retry loop."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    relay = WsRelay(f"ws://127.0.0.1:{port}/ws", TickerView(), open_timeout=2)
    with pytest.raises(CommandError, match=f"cannot relay ws · 127.0.0.1:{port}"):
        await relay.run(until_live=True)


async def test_ticker_command_relays_a_broadcaster(
    store: StreamStore, broadcasters: BroadcasterForTicker, ticker: TickerKit
) -> None:
    """``soiree ticker --ws URL --once`` prints the frame the broadcaster's stream gives."""
    await append_until(store, ticker, "20:56")
    running = await broadcasters.start(store.stream, night=night_info(ticker.night.night))
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    process = await asyncio.create_subprocess_exec(
        SOIREE,
        "ticker",
        "--ws",
        ws_url(running),
        "--once",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60 * TIMEOUT_FACTOR):
        stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    frame = stdout.decode()
    assert "Primaire de la gauche, second tour" in frame
    assert "58,65 %" in frame
    assert "1 306 852" in frame
    assert "Je tiens" in frame
