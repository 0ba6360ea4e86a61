"""A (re)started broadcaster listens at once, and serves joins while it reads a large stream.

A real broadcaster on a 100,000-entry stream in a real Redis: it must accept websocket
connections and answer them (``hello``) before it has read the stream (it used to read the
whole stream first: 6.8 s on a quiet machine, refusing connections meanwhile; how soon it
answers is a benchmark row, ``tests/benchmarks/restart.py``), serve resuming clients their
backlog from Redis while it warms up, hold a client without ``since`` until it has read the
stream; and ``soiree serve`` (a subprocess, stopped meanwhile) must queue 500 simultaneous
connects.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import select
import signal
import socket
import time
from typing import Any, Final

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_json
from tests.plugins.ingest import soiree_command

ENTRIES = 100_000


# XADDs ``ARGV[3]`` entries numbered from ``ARGV[2]``, their data ``ARGV[1]`` with ``{n}`` made
# the number: one call writes thousands of entries (a pipeline of XADDs costs the client more).
_FILL_SCRIPT: Final = """
local ids = {}
local first = tonumber(ARGV[2])
for n = first, first + tonumber(ARGV[3]) - 1 do
  local data = string.gsub(ARGV[1], '{n}', tostring(n))
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'uid', 'test:' .. n, 'op', 'add', 'data', data)
end
return ids
"""


async def fill(store: StreamStore, count: int) -> list[str]:
    """Append ``count`` small distinct updates (``make_update(n, minute=0)``); their ids.

    Raw XADDs of the entries ``StreamStore.append`` would write (``uid``, ``op``, ``data``),
    many times faster than the idempotent append, which has nothing to decide here.
    """
    template = make_update(0, minute=0, text="{n}").to_json()
    del template["uid"], template["op"]
    data = json.dumps(template, ensure_ascii=False).replace('"{n}"', '"update {n}"')
    ids: list[str] = []
    for first in range(0, count, 10_000):
        size = min(count, first + 10_000) - first
        reply = await store.redis.eval(_FILL_SCRIPT, 1, store.stream, data, first, size)
        ids += [str(entry_id) for entry_id in reply]
    assert len(ids) == count
    return ids


@pytest.mark.slow
async def test_a_start_on_a_100k_stream_answers_before_warm_and_serves_while_warming(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Connected and said hello before warm; resuming clients get exactly their backlog;
    clients without since wait."""
    ids = await fill(store, ENTRIES)
    running = await start_broadcaster(recent=100)
    async with ws_connect(running.ws_url(f"since={ids[-10]}")) as resuming:
        assert (await recv_json(resuming, within=60))["type"] == "hello"
        assert not running.broadcaster.warm, "the stream was read before the client's hello"
        async with ws_connect(running.ws_url("since=$")) as now:
            assert (await recv_json(now))["type"] == "hello"
            fresh = asyncio.create_task(first_messages(running.ws_url(), 3))
            assert not running.broadcaster.warm, "the stream was read before listening"
            # Appended while the broadcaster warms up: both clients must get it, once.
            appended = await store.append(make_update(ENTRIES + 1))
            assert appended.id is not None
            got, live = await updates_through(resuming, appended.id)
            assert got == [*ids[-9:], appended.id]
            assert live["last_id"] in (ids[-1], appended.id)
            got, live = await updates_through(now, appended.id)
            assert got == [appended.id]
            hello, snapshot, third = await asyncio.wait_for(fresh, 60 * TIMEOUT_FACTOR)
    assert running.broadcaster.warm
    assert (hello["type"], snapshot["type"]) == ("hello", "snapshot")
    assert snapshot["last_id"] in (ids[-1], appended.id)
    # A client without since got the recent updates of the whole stream, not of part of it.
    assert third["type"] == "update"
    assert third["id"] in ids[-100:]


async def updates_through(ws: ClientConnection, last_id: str) -> tuple[list[str], dict[str, Any]]:
    """The ids of the updates received up to ``last_id`` and ``live``, and ``live``."""
    ids: list[str] = []
    live: dict[str, Any] | None = None
    async with asyncio.timeout(60 * TIMEOUT_FACTOR):
        while live is None or not ids or ids[-1] != last_id:
            message = await recv_json(ws, within=60)
            if message["type"] == "update":
                ids.append(message["id"])
            elif message["type"] == "live":
                live = message
    return ids, live


async def first_messages(url: str, count: int) -> list[dict[str, Any]]:
    """The first ``count`` messages a new client gets."""
    async with ws_connect(url) as ws:
        return [await recv_json(ws, within=60) for _ in range(count)]


def connect_many(port: int, count: int, within: float) -> int:
    """Open ``count`` TCP connections to 127.0.0.1:``port`` at once; how many completed."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in socks:
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
        poller = select.poll()
        for sock in socks:
            poller.register(sock, select.POLLOUT)
        done: set[int] = set()
        deadline = time.monotonic() + within
        while len(done) < count and time.monotonic() < deadline:
            for fd, _event in poller.poll(100):
                poller.unregister(fd)
                done.add(fd)
        by_fd = {sock.fileno(): sock for sock in socks}
        return sum(
            1 for fd in done if by_fd[fd].getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        )
    finally:
        for sock in socks:
            sock.close()


async def test_500_simultaneous_connects_are_all_queued_while_the_server_is_busy(
    redis_url: str, store: StreamStore
) -> None:
    """`soiree serve`'s listen backlog holds a burst of 500 connects it cannot accept yet."""
    process = await asyncio.create_subprocess_exec(
        *soiree_command("serve", "--port", "0", "--redis-url", redis_url, "--stream", store.stream),
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "SOIREE_READ_TOKEN": ""},
    )
    assert process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stderr.readline(), 20 * TIMEOUT_FACTOR)).decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        port = int(match[1])
        process.send_signal(signal.SIGSTOP)  # busy: it accepts nothing meanwhile
        try:
            completed = await asyncio.to_thread(connect_many, port, 500, 2.0 * TIMEOUT_FACTOR)
        finally:
            process.send_signal(signal.SIGCONT)
        assert completed == 500
        # And it still serves once free again.
        async with ws_connect(f"ws://127.0.0.1:{port}/ws?since=$") as ws:
            assert (await recv_json(ws))["type"] == "hello"
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20 * TIMEOUT_FACTOR) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
