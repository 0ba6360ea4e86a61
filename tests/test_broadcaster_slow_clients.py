"""Slow clients during their backlog: the 4008 reason is where to resume, and catching up ends.

Real clients on 127.0.0.1: one that stops reading in the middle of a large backlog (a raw
socket with a tiny receive buffer), and one that reads slowly (websockets, pausing) while live
updates keep coming.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from typing import Any

from websockets.asyncio.client import connect as ws_connect

from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_json, recv_until
from tests.test_broadcaster import StalledClient, append, wait_for


def small_socket(port: int) -> socket.socket:
    """A socket connected to 127.0.0.1:``port`` with a 4 kB receive buffer (a slow link)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


async def test_a_client_cut_during_its_backlog_gets_the_last_id_written_and_resumes_exactly(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Stalled mid-backlog: 4008 names the last update it was sent; resuming there gets the rest."""
    ids = await append(store, 1, 400, text="z" * 16000)  # 6.4 MB: more than the buffers hold
    running = await start_broadcaster(
        recent=10, history_page=20, drain_timeout=0.5 * TIMEOUT_FACTOR, close_timeout=10.0
    )
    stalled = StalledClient(running.ws_url("since=0"))
    await asyncio.to_thread(stalled.open, "127.0.0.1", running.port)
    try:
        registry = running.broadcaster.metrics.registry
        await wait_for(lambda: registry.get_sample_value("soiree_slow_clients_closed_total") == 1)
        frames, close = await asyncio.to_thread(stalled.read_to_close)
    finally:
        stalled.close()
    assert close is not None
    assert close.code == 4008
    assert close.reason.startswith("too slow; last_id=")
    last_id = close.reason.removeprefix("too slow; last_id=")
    messages = [json.loads(bytes(frame.data)) for frame in frames]
    sent_ids = [message["id"] for message in messages if message["type"] == "update"]
    assert sent_ids, "the client got none of its backlog before the cut"
    assert sent_ids == ids[: len(sent_ids)]
    assert len(sent_ids) < len(ids)
    assert last_id == sent_ids[-1]
    # Resuming as the reason says gets exactly what is missing.
    async with ws_connect(running.ws_url(f"since={last_id}"), max_size=None) as ws:
        before, live = await recv_until(ws, "live", within=30)
    rest = [message["id"] for message in before if message["type"] == "update"]
    assert rest == ids[len(sent_ids) :]
    assert live["last_id"] == ids[-1]


async def test_a_slow_reader_catches_up_on_a_large_backlog_under_live_traffic(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """A client slower than the server but faster than the stream gets live, every id once."""
    # 15 MB of backlog from Redis: far more than the kernel buffers between the two hold.
    ids = await append(store, 1, 1500, text="b" * 10_000)
    running = await start_broadcaster(recent=10, history_page=50, max_pending_bytes=64 * 1024)
    appended: list[str] = []
    stop = asyncio.Event()

    async def live_traffic() -> None:
        """About 300 kB/s of live updates, well past max_pending_bytes during the catch-up."""
        n = 10_000
        while not stop.is_set():
            outcome = await store.append(make_update(n, text="l" * 3000))
            assert outcome.id is not None
            appended.append(outcome.id)
            n += 1
            await asyncio.sleep(0.01)

    received: list[str] = []
    live: dict[str, Any] | None = None
    feeding = asyncio.create_task(live_traffic())
    try:
        async with ws_connect(
            running.ws_url("since=0"), sock=small_socket(running.port), max_size=None, max_queue=4
        ) as ws:
            async with asyncio.timeout(60 * TIMEOUT_FACTOR):
                while live is None or len(received) < len(ids) + 50:
                    message = await recv_json(ws)
                    if message["type"] == "update":
                        received.append(message["id"])
                        if len(received) % 5 == 0:
                            await asyncio.sleep(0.01)  # a slow reader: ~500 updates a second
                    elif message["type"] == "live":
                        live = message
            stop.set()
            await feeding
            async with asyncio.timeout(10 * TIMEOUT_FACTOR):
                while received[-1] != appended[-1]:
                    message = await recv_json(ws)
                    if message["type"] == "update":
                        received.append(message["id"])
    finally:
        stop.set()
        with contextlib.suppress(AssertionError):
            await feeding
    assert live is not None
    assert received == ids + appended, "an update was lost, repeated or out of order"
    # Live traffic came while it caught up: more than the bound that used to cut it.
    assert live["last_id"] in appended
    assert appended.index(live["last_id"]) * 3000 > 64 * 1024


async def test_a_client_stalled_past_the_close_wait_is_dropped_without_a_close_frame(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """After 4008, a client that reads nothing for close_timeout is dropped: it sees 1006."""
    await append(store, 1, 400, text="z" * 16000)
    close_timeout = 0.5 * TIMEOUT_FACTOR
    running = await start_broadcaster(
        recent=10, history_page=20, drain_timeout=0.5 * TIMEOUT_FACTOR, close_timeout=close_timeout
    )
    stalled = StalledClient(running.ws_url("since=0"))
    await asyncio.to_thread(stalled.open, "127.0.0.1", running.port)
    try:
        registry = running.broadcaster.metrics.registry
        await wait_for(lambda: registry.get_sample_value("soiree_slow_clients_closed_total") == 1)
        # Reading nothing past the close wait: the server gives up and drops the connection.
        await asyncio.sleep(close_timeout + 1.0)
        try:
            _frames, close = await asyncio.to_thread(stalled.read_to_close)
        except ConnectionResetError:
            close = None
    finally:
        stalled.close()
    assert close is None, "the close frame behind the unread backlog should never arrive"
