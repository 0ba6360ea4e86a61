"""Tests for ticker.broadcast.broadcaster: real broadcasters, real Redis, real websocket clients."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.client import ClientProtocol
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.frames import Close as CloseFrame
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from ingest.model.update import Figures, Kind
from ingest.sources.source_health import SourceHealth
from ingest.store.embedded_layout import find_redis_server
from ingest.store.health import record_poll
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import (
    BroadcasterStarter,
    make_update,
    recv_json,
    recv_until,
    recv_updates,
)


async def append(store: StreamStore, first: int, last: int, **fields: Any) -> list[str]:
    """Append updates numbered first..last; return their ids."""
    outcomes = await store.append_many([make_update(n, **fields) for n in range(first, last + 1)])
    ids = [outcome.id for outcome in outcomes]
    assert all(ids)
    return [entry_id for entry_id in ids if entry_id is not None]


async def wait_for(condition: Any, *, within: float = 5.0) -> None:
    """Poll ``condition()`` until it is true."""
    for _attempt in range(int(within / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


# -- joining ----------------------------------------------------------------------------------


async def test_join_sends_hello_snapshot_backlog_live_then_live_updates(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """since=0: hello, snapshot, every update in order, live, then what is appended next."""
    ids = await append(store, 1, 3)
    running = await start_broadcaster()
    async with ws_connect(running.ws_url("since=0")) as ws:
        hello = await recv_json(ws)
        assert hello["type"] == "hello"
        assert hello["server"] == "soiree"
        assert hello["stream"] == store.stream
        assert hello["since"] == "0-0"
        snapshot = await recv_json(ws)
        assert snapshot["type"] == "snapshot"
        assert snapshot["count"] is None
        backlog, live = await recv_until(ws, "live")
        # Updates only, but for a board that changed while it caught up (just before live).
        assert [message["id"] for message in backlog if message["type"] == "update"] == ids
        assert {message["type"] for message in backlog} <= {"update", "board"}
        assert live["last_id"] == ids[-1]
        (new_id,) = await append(store, 4, 4)
        (update,) = await recv_updates(ws, 1)
        assert update["id"] == new_id
        assert update["uid"] == "test:4"


async def test_without_since_a_client_gets_the_recent_updates(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """No since: the newest `recent` updates, then live."""
    ids = await append(store, 1, 5)
    running = await start_broadcaster(recent=2)
    async with ws_connect(running.ws_url()) as ws:
        before, live = await recv_until(ws, "live")
        assert [m["id"] for m in before if m["type"] == "update"] == ids[-2:]
        assert live["last_id"] == ids[-1]


async def test_since_dollar_sends_no_backlog(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """since=$: straight to live."""
    ids = await append(store, 1, 3)
    running = await start_broadcaster()
    async with ws_connect(running.ws_url("since=$")) as ws:
        before, live = await recv_until(ws, "live")
        # (a board changed while it joined may come just before live: docs/protocol.md)
        assert [m["type"] for m in before if m["type"] != "board"] == ["hello", "snapshot"]
        assert live["last_id"] == ids[-1]


@pytest.mark.parametrize("recent", [1000, 1], ids=["from-memory", "from-redis"])
async def test_resume_from_an_id_sends_only_what_follows(
    store: StreamStore, start_broadcaster: BroadcasterStarter, recent: int
) -> None:
    """since=<id>: the updates after it, whether served from memory or from Redis."""
    ids = await append(store, 1, 6)
    running = await start_broadcaster(recent=recent)
    async with ws_connect(running.ws_url(f"since={ids[2]}")) as ws:
        before, live = await recv_until(ws, "live")
        assert [m["id"] for m in before if m["type"] == "update"] == ids[3:]
        assert live["last_id"] == ids[-1]


async def test_since_older_than_retention_says_gap_before_the_backlog(
    redis_client: Redis, stream_key: str, start_broadcaster: BroadcasterStarter
) -> None:
    """A since that retention trimmed past: a gap message, then what is retained."""
    store = StreamStore(redis_client, stream_key, maxlen=3)
    ids = await append(store, 1, 6)
    running = await start_broadcaster(recent=1)
    async with ws_connect(running.ws_url(f"since={ids[0]}")) as ws:
        before, _live = await recv_until(ws, "live")
        # A board changed while it caught up may come just before live (docs/protocol.md).
        types = [m["type"] for m in before if m["type"] != "board"]
        assert types == ["hello", "snapshot", "gap", "update", "update", "update"]
        gap = before[2]
        assert gap["since"] == ids[0]
        assert gap["first_id"] == ids[3]
        assert gap["last_trimmed_id"] == ids[2]
        assert [m["id"] for m in before if m["type"] == "update"] == ids[3:]


async def test_a_large_backlog_arrives_whole_and_in_order(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """A backlog bigger than one write is paged with flow control, nothing lost."""
    text = "x" * 4000
    ids = await append(store, 1, 300, text=text)
    running = await start_broadcaster(recent=1000)
    async with ws_connect(running.ws_url("since=0"), max_size=None) as ws:
        before, live = await recv_until(ws, "live", within=10)
        assert [m["id"] for m in before if m["type"] == "update"] == ids
        assert live["last_id"] == ids[-1]


async def test_clients_joining_during_appends_miss_nothing_and_get_nothing_twice(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Clients joining while updates stream in each see the whole stream once, in order."""
    await append(store, 1, 50, text="y" * 3000)
    running = await start_broadcaster(recent=20, history_page=7)

    async def appender() -> list[str]:
        ids: list[str] = []
        for n in range(51, 131):
            ids += await append(store, n, n)
            await asyncio.sleep(0.002)
        return ids

    async def client() -> list[str]:
        async with ws_connect(running.ws_url("since=0"), max_size=None) as ws:
            seen = [m["id"] for m in await recv_updates(ws, 130, within=15)]
            with pytest.raises(TimeoutError):
                await recv_updates(ws, 1, within=0.2)
            return seen

    appending = asyncio.create_task(appender())
    clients = []
    for _round in range(6):
        clients.append(asyncio.create_task(client()))
        await asyncio.sleep(0.02)
    await appending
    everything = [update.id for update in (await store.history()).updates]
    for seen in await asyncio.gather(*clients):
        assert seen == everything


# -- restarts and replicas --------------------------------------------------------------------


async def drain(ws: ClientConnection, types: list[str]) -> None:
    """Read messages until the connection closes, noting their types."""
    while True:
        types.append((await recv_json(ws))["type"])


async def test_resuming_after_a_restart_gets_every_missed_update_once(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Resuming from its last id on a restarted broadcaster: every missed update, once."""
    first = await start_broadcaster()
    received: list[str] = []
    async with ws_connect(first.ws_url("since=0")) as ws:
        await recv_until(ws, "live")
        await append(store, 1, 3)
        received += [m["id"] for m in await recv_updates(ws, 3)]
        await first.stop()
        before_close: list[str] = []
        with pytest.raises(ConnectionClosed) as closed:
            await drain(ws, before_close)
        # Only the board (its round is now known) may come before the close.
        assert set(before_close) <= {"board"}
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1001
    missed = await append(store, 4, 8)
    second = await start_broadcaster(port=first.port)
    async with ws_connect(second.ws_url(f"since={received[-1]}")) as ws:
        before, live = await recv_until(ws, "live")
        resumed = [m["id"] for m in before if m["type"] == "update"]
        assert resumed == missed
        assert live["last_id"] == missed[-1]
        more = await append(store, 9, 9)
        assert [m["id"] for m in await recv_updates(ws, 1)] == more
    everything = received + resumed + more
    assert len(everything) == len(set(everything)) == 9


async def test_two_broadcasters_on_one_stream_send_the_same_sequence(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Two broadcaster processes relaying one stream send the same updates in the same order."""
    await append(store, 1, 4)
    one = await start_broadcaster()
    two = await start_broadcaster(recent=2)
    async with ws_connect(one.ws_url("since=0")) as ws1, ws_connect(two.ws_url("since=0")) as ws2:
        await recv_until(ws1, "live")
        await recv_until(ws2, "live")
        await append(store, 5, 30)
        seq1 = await recv_updates(ws1, 26)
        seq2 = await recv_updates(ws2, 26)
    assert seq1 == seq2
    assert [m["uid"] for m in seq1] == [f"test:{n}" for n in range(5, 31)]


# -- filters ----------------------------------------------------------------------------------


async def test_query_filters_and_subscribe_change_what_a_client_gets(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """kinds/sources in the query filter the backlog and live; subscribe replaces the filter."""
    await store.append(make_update(1, kind=Kind.SPEECH, speaker="Manuel Valls"))
    await store.append(make_update(2, kind=Kind.NEWS))
    await store.append(make_update(3, kind=Kind.SPEECH, source="feed", speaker="Benoît Hamon"))
    running = await start_broadcaster()
    async with ws_connect(running.ws_url("since=0&kinds=speech&sources=liveblog")) as ws:
        before, _live = await recv_until(ws, "live")
        assert before[0]["kinds"] == ["speech"]
        assert before[0]["sources"] == ["liveblog"]
        assert [m["uid"] for m in before if m["type"] == "update"] == ["test:1"]
        await ws.send('{"type": "subscribe", "kinds": ["news"], "sources": null}')
        # A board message may come first: the server may still have been reading the stream
        # (warming up) when the client joined, and the board changed since its snapshot.
        others, subscribed = await recv_until(ws, "subscribed")
        assert {message["type"] for message in others} <= {"board"}
        assert subscribed == {"type": "subscribed", "kinds": ["news"], "sources": None}
        await store.append(make_update(4, kind=Kind.SPEECH, speaker="Manuel Valls"))
        await store.append(make_update(5, kind=Kind.NEWS, source="feed"))
        (update,) = await recv_updates(ws, 1)
        assert update["uid"] == "test:5"


# -- snapshot and health ------------------------------------------------------------------------


async def test_snapshot_carries_latest_count_turnout_and_health(
    store: StreamStore, redis_client: Redis, start_broadcaster: BroadcasterStarter
) -> None:
    """The snapshot has the latest national count, the latest turnout and source health."""
    shares = {"Benoît Hamon": 58.65, "Manuel Valls": 41.35}
    await store.append(
        make_update(1, kind=Kind.TURNOUT, figures=Figures(voters=1306852, stations_pct=75))
    )
    await store.append(
        make_update(2, kind=Kind.COUNT, figures=Figures(shares=shares, counted_pct=60))
    )
    await store.append(
        make_update(3, kind=Kind.COUNT, figures=Figures(scope="Loire", shares=shares))
    )
    await record_poll(redis_client, store.stream, SourceHealth(source="liveblog", state="ok"))
    running = await start_broadcaster(health_interval=0.05)
    # Warm first: a since=$ client joining while the reader still reads the stream gets the
    # snapshot of the state read so far (docs/protocol.md, "Listening first").
    await asyncio.wait_for(running.broadcaster.wait_warm(), 10 * TIMEOUT_FACTOR)
    async with ws_connect(running.ws_url("since=$")) as ws:
        await recv_json(ws)
        snapshot = await recv_json(ws)
        assert snapshot["count"]["uid"] == "test:2"
        assert snapshot["count"]["figures"]["shares"]["Benoît Hamon"] == 58.65
        assert snapshot["turnout"]["figures"]["voters"] == 1306852
        assert snapshot["health"]["liveblog"]["state"] == "ok"
        await recv_until(ws, "live")
        failing = SourceHealth(source="liveblog", state="error", consecutive_errors=1)
        await record_poll(redis_client, store.stream, failing)
        _before, health = await recv_until(ws, "health")
        assert health["sources"]["liveblog"]["consecutive_errors"] == 1


# -- misbehaving and slow clients ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "update", "uid": "x", "text": "fake"}', "read_only"),
        ('{"type": "subscribe", "kinds": ["gossip"]}', "bad_filter"),
    ],
)
async def test_bad_messages_get_an_error_and_the_connection_stays(
    store: StreamStore, start_broadcaster: BroadcasterStarter, sent: str, code: str
) -> None:
    """Each bad message gets its error code; the client keeps receiving updates."""
    running = await start_broadcaster()
    async with ws_connect(running.ws_url("since=$")) as ws:
        await recv_until(ws, "live")
        await ws.send(sent)
        error = await recv_json(ws)
        assert error["type"] == "error"
        assert error["code"] == code
        assert error["message"]
        await ws.send('{"type": "ping"}')
        assert (await recv_json(ws))["type"] == "pong"
        await append(store, 1, 1)
        assert len(await recv_updates(ws, 1)) == 1


async def test_a_2mb_frame_is_closed_with_1009_and_others_are_still_served(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """A frame over the size cap closes that client with 1009; another one keeps receiving."""
    running = await start_broadcaster()
    async with ws_connect(running.ws_url("since=$")) as bystander:
        await recv_until(bystander, "live")
        async with ws_connect(running.ws_url("since=$"), max_size=None) as ws:
            await recv_until(ws, "live")
            await ws.send("x" * (2 * 1024 * 1024))
            with pytest.raises(ConnectionClosed) as closed:
                await recv_json(ws)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1009
        await append(store, 1, 1)
        assert len(await recv_updates(bystander, 1)) == 1


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("since=yesterday", "bad_since"),
        ("since=99999999999999-0", "unknown_since"),
        ("kinds=gossip", "bad_filter"),
    ],
)
async def test_a_bad_query_gets_an_error_then_4400(
    store: StreamStore, start_broadcaster: BroadcasterStarter, query: str, code: str
) -> None:
    """A bad since (not an id, or past the stream's end) or filter: error, then close 4400."""
    await append(store, 1, 2)
    running = await start_broadcaster()
    async with ws_connect(running.ws_url(query)) as ws:
        _before, error = await recv_until(ws, "error")
        assert error["code"] == code
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4400
    async with ws_connect(running.ws_url("since=0")) as ws:
        before, _live = await recv_until(ws, "live")
        assert len([m for m in before if m["type"] == "update"]) == 2


async def test_a_flood_of_messages_is_closed_with_1008(
    start_broadcaster: BroadcasterStarter,
) -> None:
    """A client sending more than its allowance is closed with 1008."""
    running = await start_broadcaster(message_burst=5, messages_per_second=1)
    async with ws_connect(running.ws_url("since=$")) as ws:
        await recv_until(ws, "live")
        for _ in range(10):
            with contextlib.suppress(ConnectionClosed):
                await ws.send('{"type": "ping"}')
        _before, error = await recv_until(ws, "error")
        assert error["code"] == "too_many_messages"
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008


class StalledClient:
    """A websocket client on a raw socket with a tiny receive buffer, that reads only when told."""

    def __init__(self, url: str) -> None:
        self.protocol = ClientProtocol(parse_uri(url))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.url = url

    def open(self, host: str, port: int) -> None:
        """Connect and complete the opening handshake, then stop reading."""
        self.sock.settimeout(5)
        self.sock.connect((host, port))
        request = self.protocol.connect()
        self.protocol.send_request(request)
        self.sock.sendall(b"".join(self.protocol.data_to_send()))
        while self.protocol.handshake_exc is None and not self.protocol.events_received():
            self.protocol.receive_data(self.sock.recv(4096))
            if self.protocol.state.name == "OPEN":
                break

    def read_to_close(self) -> tuple[list[Frame], CloseFrame | None]:
        """Read everything until the server's close frame; return the data frames and it."""
        frames: list[Frame] = []
        self.sock.settimeout(10)
        while True:
            data = self.sock.recv(1 << 16)
            if not data:
                self.protocol.receive_eof()
            else:
                self.protocol.receive_data(data)
            frames.extend(
                event
                for event in self.protocol.events_received()
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT
            )
            if self.protocol.close_rcvd is not None or not data:
                return frames, self.protocol.close_rcvd

    def close(self) -> None:
        """Drop the socket."""
        self.sock.close()


async def test_a_client_that_stops_reading_is_closed_with_4008_and_others_keep_receiving(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Over max-pending-bytes: 4008 with the last id it was sent; a reading client gets all."""
    running = await start_broadcaster(max_pending_bytes=64 * 1024, close_timeout=10.0)
    stalled = StalledClient(running.ws_url("since=$"))
    await asyncio.to_thread(stalled.open, "127.0.0.1", running.port)
    try:
        async with ws_connect(running.ws_url("since=$"), max_size=None) as reader:
            await recv_until(reader, "live")
            # Both live (the stalled one reads nothing: its join is seen on the server) before
            # the first append, or "since=$" would start it after some of them.
            await wait_for(lambda: len(list(running.broadcaster._fan_out.clients())) == 2)
            # Enough to fill the kernel's buffers on both sides, then the bound.
            ids: list[str] = []
            for first in range(1, 401, 50):
                ids += await append(store, first, first + 49, text="z" * 16000)
                got = await recv_updates(reader, 50, within=10)
                assert [m["id"] for m in got] == ids[-50:]
            registry = running.broadcaster.metrics.registry
            await wait_for(
                lambda: registry.get_sample_value("soiree_slow_clients_closed_total") == 1
            )
        frames, close = await asyncio.to_thread(stalled.read_to_close)
    finally:
        stalled.close()
    assert close is not None
    assert close.code == 4008
    assert close.reason.startswith("too slow; last_id=")
    last_id = close.reason.removeprefix("too slow; last_id=")
    sent_ids = [
        json.loads(bytes(frame.data))["id"] for frame in frames if b'"update"' in frame.data[:20]
    ]
    assert sent_ids == ids[: len(sent_ids)]
    assert sent_ids[-1] == last_id
    assert len(sent_ids) < len(ids)


# -- access -----------------------------------------------------------------------------------


async def test_a_read_token_is_required_when_configured(
    start_broadcaster: BroadcasterStarter,
) -> None:
    """Without the token: closed with 4001; with ?token= or a Bearer header: served."""
    running = await start_broadcaster(token="s3cret")
    async with ws_connect(running.ws_url("since=$")) as ws:
        assert (await recv_json(ws))["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed) as closed:
            await recv_json(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4001
    async with ws_connect(running.ws_url("since=$&token=wrong")) as ws:
        assert (await recv_json(ws))["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed):
            await recv_json(ws)
    async with ws_connect(running.ws_url("since=$&token=s3cret")) as ws:
        assert (await recv_json(ws))["type"] == "hello"
    headers = {"Authorization": "Bearer s3cret"}
    async with ws_connect(running.ws_url("since=$"), additional_headers=headers) as ws:
        assert (await recv_json(ws))["type"] == "hello"


async def test_foreign_origins_are_refused_unless_allowed(
    start_broadcaster: BroadcasterStarter,
) -> None:
    """A page from another origin gets 403; the same origin and allowed origins get in."""
    running = await start_broadcaster(allowed_origins=("https://newsroom.example",))
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(running.ws_url(), origin="https://evil.example"):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    for origin in (f"http://127.0.0.1:{running.port}", "https://newsroom.example"):
        async with ws_connect(running.ws_url("since=$"), origin=origin) as ws:  # type: ignore[arg-type]
            assert (await recv_json(ws))["type"] == "hello"


# -- Redis going away ---------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of the test's own, with AOF, that can be stopped and started again."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its unix:// URL."""
        return f"unix://{self.socket}"

    def start(self) -> None:
        """Start it (its AOF brings the data back) and wait until it answers."""
        self.process = subprocess.Popen(
            [
                str(find_redis_server()),
                "--port", "0",
                "--unixsocket", str(self.socket),
                "--unixsocketperm", "700",
                "--dir", str(self.directory),
                "--save", "",
                "--appendonly", "yes",
                "--appendfsync", "always",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
        try:
            for _attempt in range(500):
                with contextlib.suppress(redis.RedisError, OSError):
                    if client.ping():
                        return
                time.sleep(0.01)
            raise RuntimeError("the private redis-server did not answer")
        finally:
            client.close()

    def stop(self) -> None:
        """Stop it and wait until it is gone."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.mark.slow
async def test_the_reader_survives_redis_going_away_and_resumes_from_its_last_id(
    tmp_path: Path, start_broadcaster: BroadcasterStarter, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis stops and comes back: /healthz says so meanwhile; nothing is lost or repeated."""
    caplog.set_level(logging.WARNING, logger="ticker.broadcast.reader")
    server = PrivateRedis(tmp_path)
    await asyncio.to_thread(server.start)
    try:
        writer = await connect(server.url)
        store = StreamStore(writer, "private:night")
        first = await append(store, 1, 3)
        await writer.aclose()
        running = await start_broadcaster(stream="private:night", redis_url=server.url)
        async with ws_connect(running.ws_url("since=0")) as ws:
            before, _live = await recv_until(ws, "live")
            assert [m["id"] for m in before if m["type"] == "update"] == first
            await asyncio.to_thread(server.stop)
            healthy, body = await running.broadcaster.probe()
            assert not healthy
            assert body["redis"]["reachable"] is False
            registry = running.broadcaster.metrics.registry
            await wait_for(lambda: registry.get_sample_value("soiree_redis_up") == 0)
            await asyncio.to_thread(server.start)
            writer = await connect(server.url)
            try:
                more = await append(StreamStore(writer, "private:night"), 4, 6)
            finally:
                await writer.aclose()
            got = await recv_updates(ws, 3, within=15)
            assert [m["id"] for m in got] == more
            healthy, _body = await running.broadcaster.probe()
            assert healthy
    finally:
        await asyncio.to_thread(server.stop)
    said = [r.getMessage() for r in caplog.records if r.name == "ticker.broadcast.reader"]
    # The outage is said once per series (the retries after its first failure are debug), and
    # its end. (A pooled connection from before the restart may fail once more after the first
    # good read: that is a new series, said again; older redis-py versions do that.)
    outcomes = [
        "failed" if "reading private:night failed" in message else "again"
        for message in said
        if "reading private:night failed" in message or "reading private:night again" in message
    ]
    assert outcomes[:2] == ["failed", "again"], said
    assert all(pair != ("failed", "failed") for pair in itertools.pairwise(outcomes)), said


async def test_many_joiners_queue_for_backlog_reads_instead_of_failing(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """150 clients joining at once with since=0 (more than the Redis pool) all get the backlog."""
    ids = await append(store, 1, 60)
    # Pages of 10 and 2 concurrent readers: every joiner reads 6 pages through 2 slots.
    running = await start_broadcaster(history_page=10, history_readers=2, recent=0)

    async def join() -> list[str]:
        async with ws_connect(running.ws_url("since=0"), open_timeout=30) as ws:
            backlog, _ = await recv_until(ws, "live", within=60)
            return [message["id"] for message in backlog if message["type"] == "update"]

    results = await asyncio.gather(*(join() for _ in range(150)))
    assert all(result == ids for result in results)
