"""A replay's clock relayed by the broadcaster: ``snapshot.clock`` and ``clock`` messages, over
``/ws`` and ``/sse``, read by the ``--ws`` ticker; the wire form read back, hostile hashes refused.

Real parts: the replay's own writer of the clock hash (:func:`replay.runner.publish_clock`), a
real Redis, a real broadcaster on 127.0.0.1, websocket and event-stream clients.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from ingest.runtime.backoff import Backoff
from ingest.store import keys
from ingest.store.stream_store import StreamStore
from replay.runner import publish_clock
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_until
from tests.plugins.ticker import TickerKit
from tests.test_protocol import validator
from tests.test_sse import body_of, parse_events
from ticker.terminal.relay_messages import (
    ClockMessage,
    RelayMessageError,
    Snapshot,
    parse_server_message,
)
from ticker.terminal.render_header import Header
from ticker.terminal.ticker_view import TickerView
from ticker.terminal.ws_relay import WsRelay
from ticker.wire.protocol import clock_message, snapshot_message
from ticker.wire.replay_clock import ReplayClock

PARIS = timezone(timedelta(hours=1))
AT_2041 = datetime(2017, 1, 29, 20, 41, tzinfo=PARIS)
FAST = Backoff(interval=0.05, max_backoff=0.2)


class SseReader:
    """An ``/sse`` stream read event by event."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self._buffer = ""
        self._events: list[dict[str, Any]] = []

    async def until(self, event: str, *, where: str = "", value: object = None) -> dict[str, Any]:
        """The data of the next event ``event`` (whose ``data[where] == value``, if given)."""
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            while True:
                while self._events:
                    found = self._events.pop(0)
                    if found.get("event") != event:
                        continue
                    data: dict[str, Any] = found["data"]
                    if not where or _dig(data, where) == value:
                        return data
                chunk = await self._response.content.readany()
                assert chunk, "the event stream ended"
                self._buffer += chunk.decode()
                complete, _, self._buffer = self._buffer.rpartition("\n\n")
                if complete:
                    self._events.extend(parse_events(complete))


def _dig(data: dict[str, Any], path: str) -> object:
    value: object = data
    for name in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


@asynccontextmanager
async def sse_stream(url: str) -> AsyncIterator[SseReader]:
    """An open event stream at ``url``."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        yield SseReader(response)


async def ws_clock(ws: ClientConnection, paused: bool) -> dict[str, Any]:
    """The next ``clock`` message with ``paused``, skipping others."""
    async with asyncio.timeout(10 * TIMEOUT_FACTOR):
        while True:
            _before, message = await recv_until(ws, "clock")
            if message["clock"] is not None and message["clock"]["paused"] is paused:
                return message


async def test_ws_and_sse_clients_get_the_pause_and_the_resume(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Snapshot with the running clock, then ``clock`` paused, resumed, finished, gone: on both
    transports, each message valid against the schema."""
    server = validator("server_message")
    await store.append(make_update(1))
    await publish_clock(store, AT_2041, speed=60, paused=False)
    running = await start_broadcaster(clock_interval=0.05)
    async with (
        ws_connect(running.ws_url("since=$")) as ws,
        sse_stream(running.http_url("/sse?since=$")) as sse,
    ):
        before, _live = await recv_until(ws, "live")
        ws_snapshot = next(message for message in before if message["type"] == "snapshot")
        sse_snapshot = await sse.until("snapshot")
        for snapshot in (ws_snapshot, sse_snapshot):
            server.validate(snapshot)
            assert snapshot["clock"] == {
                "virtual_time": "2017-01-29T20:41:00+01:00",
                "speed": 60,
                "paused": False,
                "finished": False,
            }
        await sse.until("live")

        # The replay pauses (what its control loop writes when a ticker with --control asks).
        await publish_clock(store, AT_2041 + timedelta(minutes=1), speed=60, paused=True)
        paused = [
            await ws_clock(ws, True),
            await sse.until("clock", where="clock.paused", value=True),
        ]
        for message in paused:
            server.validate(message)
            assert message["clock"]["virtual_time"] == "2017-01-29T20:42:00+01:00"
            assert message["clock"]["finished"] is False

        await publish_clock(store, AT_2041 + timedelta(minutes=2), speed=60, paused=False)
        resumed = [
            await ws_clock(ws, False),
            await sse.until("clock", where="clock.paused", value=False),
        ]
        for message in resumed:
            server.validate(message)
            assert message["clock"]["virtual_time"] == "2017-01-29T20:43:00+01:00"

        await publish_clock(store, AT_2041, speed=60, paused=False, finished=True)
        finished = [
            (await recv_until(ws, "clock"))[1],
            await sse.until("clock", where="clock.finished", value=True),
        ]
        for message in finished:
            server.validate(message)
            assert message["clock"]["finished"] is True

        # No clock hash (a stream that is no replay's any more): clock null.
        await running.redis.delete(keys.replay_clock_key(store.stream))
        gone = [(await recv_until(ws, "clock"))[1], await sse.until("clock", where="clock")]
        for message in gone:
            server.validate(message)
            assert message == {"type": "clock", "clock": None}


async def test_a_stream_without_a_replay_has_a_null_clock_and_a_hostile_hash_is_none(
    redis_client: Redis, store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """No hash: ``clock`` null in the snapshot. A hash that is no clock (an infinite speed, a
    date without offset) is no clock either, and the broadcaster keeps serving."""
    await store.append(make_update(1))
    key = keys.replay_clock_key(store.stream)
    await redis_client.hset(
        key, mapping={"virtual": "2017-01-29T20:41:00+01:00", "wall": "1", "speed": "inf"}
    )
    running = await start_broadcaster(clock_interval=0.05)
    async with ws_connect(running.ws_url("since=$")) as ws:
        before, _live = await recv_until(ws, "live")
        snapshot = next(message for message in before if message["type"] == "snapshot")
        validator("snapshot").validate(snapshot)
        assert snapshot["clock"] is None
        # A real clock now: the watch still reads it.
        await publish_clock(store, AT_2041, speed=60, paused=False)
        _before, message = await recv_until(ws, "clock")
        assert message["clock"]["speed"] == 60
        # A date without its offset is no clock: clock null again.
        await redis_client.hset(key, "virtual", "2017-01-29T20:41:00")
        _before, message = await recv_until(ws, "clock")
        assert message == {"type": "clock", "clock": None}


async def test_the_ws_ticker_shows_the_pause_as_the_redis_ticker_does(
    store: StreamStore, start_broadcaster: BroadcasterStarter, ticker: TickerKit
) -> None:
    """``soiree ticker --ws``: the snapshot's clock (speed 60), then "en pause", "TERMINÉ"."""
    await store.append(make_update(1))
    await publish_clock(store, AT_2041, speed=60, paused=False)
    running = await start_broadcaster(clock_interval=0.05)
    view = TickerView()
    changes = ticker.changes()
    relay = WsRelay(running.ws_url(), view, notify=changes, backoff=FAST)
    task = changes.watch(asyncio.create_task(relay.run()))
    try:
        await changes.until(lambda: view.clock is not None)
        assert view.clock is not None
        assert view.clock.speed == 60
        assert not view.clock.paused
        header = ticker.render(Header(view, now=view.clock.wall), width=120)
        assert "20:41:00" in header
        assert "\u00d760" in header

        await publish_clock(store, AT_2041, speed=60, paused=True)
        await changes.until(lambda: view.clock is not None and view.clock.paused)
        assert view.paused
        header = ticker.render(Header(view, now=ticker.now), width=120)
        assert "en pause" in header
        assert "\u00d760" not in header

        await publish_clock(store, AT_2041, speed=60, paused=False, finished=True)
        await changes.until(lambda: view.clock is not None and view.clock.finished)
        header = ticker.render(Header(view, now=ticker.now), width=120)
        assert "TERMINÉ" in header
        assert "EN DIRECT" not in header
    finally:
        await changes.stop(task)


def test_the_wire_form_reads_back_and_refuses_what_is_no_clock() -> None:
    """to_json / from_json round-trip (wall is the receiver's); hostile values are None."""
    clock = ReplayClock.from_hash(
        {"virtual": AT_2041.isoformat(), "wall": "5", "speed": "max", "paused": "1"}
    )
    assert clock is not None
    wire = clock.to_json()
    assert wire == {
        "virtual_time": "2017-01-29T20:41:00+01:00",
        "speed": "max",
        "paused": True,
        "finished": False,
    }
    assert ReplayClock.from_json(wire, wall=9.0) == ReplayClock(
        virtual=AT_2041, wall=9.0, speed=None, paused=True
    )
    hostile: object
    for hostile in (
        None,
        [],
        {**wire, "virtual_time": "2017-01-29T20:41:00"},  # no offset
        {**wire, "virtual_time": "demain"},
        {**wire, "speed": 0},
        {**wire, "speed": -1},
        {**wire, "speed": True},
        {**wire, "speed": "60"},
        {**wire, "paused": "1"},
        {**wire, "finished": None},
        {**wire, "virtual_time": "x" * 10_000},
    ):
        assert ReplayClock.from_json(hostile, wall=0.0) is None, hostile
    for fields in ({"speed": "inf"}, {"speed": "nan"}, {"wall": "nan"}):
        assert (
            ReplayClock.from_hash({"virtual": AT_2041.isoformat(), "wall": "1", **fields}) is None
        )
    far = ReplayClock(virtual=datetime.max.replace(tzinfo=PARIS), wall=0.0, speed=1e9, paused=False)
    assert far.now(1.0) == far.virtual  # past the end of time: where it last said


def test_clock_messages_validate_and_parse_for_the_ticker() -> None:
    """``clock`` and ``snapshot.clock`` match the schema and parse; a bad one is refused."""
    server = validator("server_message")
    wire = {"virtual_time": AT_2041.isoformat(), "speed": 60.0, "paused": True, "finished": False}
    for text in (
        clock_message(wire),
        clock_message(None),
        snapshot_message(count=None, turnout=None, health={}, last_id=None, clock=wire),
    ):
        server.validate(json.loads(text))
    parsed = parse_server_message(clock_message(wire))
    assert isinstance(parsed, ClockMessage)
    assert parsed.clock is not None
    assert parsed.clock.paused
    assert parse_server_message(clock_message(None)) == ClockMessage(None)
    snapshot = parse_server_message(
        snapshot_message(count=None, turnout=None, health={}, last_id=None, clock=wire)
    )
    assert isinstance(snapshot, Snapshot)
    assert snapshot.clock is not None
    assert snapshot.clock.speed == 60
    bad = json.dumps({"type": "clock", "clock": {**wire, "speed": -1}})
    with pytest.raises(RelayMessageError, match="clock"):
        parse_server_message(bad)


# -- a clock that changes while a client is still getting its backlog ----------------------------

BIG_TEXT = "x" * 8000


async def _until(condition: Callable[[], object]) -> None:
    """Wait until ``condition()`` holds (the broadcaster's state, looked at every 10 ms)."""
    async with asyncio.timeout(10 * TIMEOUT_FACTOR):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


def _small_window_socket() -> socket.socket:
    """A client socket with a tiny receive buffer: a backlog not read stalls the server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


async def test_a_client_joining_while_the_clock_changes_gets_it_before_live(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """The pause comes while a websocket and an event-stream client are stalled in their
    backlogs (past their snapshots): each gets ``clock`` paused right before its ``live``."""
    await store.append_many([make_update(n, text=BIG_TEXT) for n in range(1, 501)])
    await publish_clock(store, AT_2041, speed=60, paused=False)
    running = await start_broadcaster(clock_interval=0.05, recent=5000, drain_timeout=120)
    broadcaster = running.broadcaster
    await broadcaster.wait_warm()  # the backlog then comes from memory, in large writes
    loop = asyncio.get_running_loop()

    ws_sock = _small_window_socket()
    ws_sock.setblocking(False)
    await loop.sock_connect(ws_sock, ("127.0.0.1", running.port))
    sse_sock = _small_window_socket()
    sse_sock.setblocking(False)
    await loop.sock_connect(sse_sock, ("127.0.0.1", running.port))
    await loop.sock_sendall(sse_sock, b"GET /sse?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    async with ws_connect(running.ws_url("since=0"), sock=ws_sock, max_queue=1) as ws:
        # Both are past their snapshots, in their backlogs, and not live.
        await _until(
            lambda: (
                any(client.cursor for client in broadcaster._sse._clients)
                and any(client.cursor for client in broadcaster._ws._clients)
            )
        )
        assert not list(broadcaster._fan_out.clients())
        assert not list(broadcaster._sse._fan_out.clients())
        await publish_clock(store, AT_2041, speed=60, paused=True)
        await _until(lambda: (broadcaster._clock.current or {}).get("paused"))
        # Still joining when the pause went out to live clients: only their join can bring it.
        assert not list(broadcaster._fan_out.clients())
        assert broadcaster._sse._clients
        assert not list(broadcaster._sse._fan_out.clients())
        for sock in (ws_sock, sse_sock):  # now read at speed
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)

        before, _live = await recv_until(ws, "live", within=60)
        snapshot = next(message for message in before if message["type"] == "snapshot")
        assert snapshot["clock"]["paused"] is False
        clocks = [message for message in before if message["type"] == "clock"]
        assert len(clocks) == 1
        assert before[-1] == clocks[0]  # the last message before live
        validator("server_message").validate(clocks[0])
        assert clocks[0]["clock"]["paused"] is True

    received = b""
    async with asyncio.timeout(60 * TIMEOUT_FACTOR):
        while b"event: live" not in received:
            chunk = await loop.sock_recv(sse_sock, 1 << 20)
            assert chunk, "the event stream ended"
            received += chunk
        while not received.endswith(b"\n\n"):
            received += await loop.sock_recv(sse_sock, 1 << 20)
    sse_sock.close()
    events = [e for e in parse_events(body_of(received.decode())) if "event" in e]
    kinds = [e["event"] for e in events]
    assert kinds[:2] == ["hello", "snapshot"]
    assert events[1]["data"]["clock"]["paused"] is False
    assert kinds[-2:] == ["clock", "live"]
    assert kinds.count("clock") == 1
    validator("server_message").validate(events[-2]["data"])
    assert events[-2]["data"]["clock"]["paused"] is True
