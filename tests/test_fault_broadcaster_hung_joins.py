"""Faults: clients joining a broadcaster whose Redis hangs (SIGSTOP) while it warms up.

A real broadcaster starts on a 2,000-entry stream in its own Redis, read 20 entries at a time,
and Redis is frozen as soon as the start returns, before the reader has sent anything (its
task has not run yet): the broadcaster cannot warm up. A websocket client without ``since`` (which waits for the warm-up), one
with ``since=$`` (which asks Redis where the stream ends) and an event-stream client without a
cursor (and one resuming from the stream's last id, ahead of the reader) must each be told to
come back while Redis is still frozen: 1013 on ``/ws``, a ``redis unavailable; retry`` comment
and the end of the stream on ``/sse`` (``EventSource`` reconnects), never a wait as long as the
hang (a client once waited 130 s with no answer).
Once Redis is back, a client without ``since`` gets its ``hello``. A broadcaster started while
Redis is frozen listens all the same (it waits for the sources' health and the replay clock
2 s at most, not for the client's socket timeout and retries: minutes).
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Final

import aiohttp
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from ingest.store.redis_client import connect
from ingest.store.scratch_redis import ScratchServer
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, recv_json
from tests.test_broadcaster_warmup import fill
from ticker.broadcast.broadcaster import Broadcaster, BroadcasterOptions

ENTRIES: Final = 2_000
STREAM: Final = "hung-joins:night"
# Longer than a joiner may wait for Redis (5 s), well under the hang's end in this test.
ANSWER_WITHIN: Final = 20.0 * TIMEOUT_FACTOR


async def ws_close_code(url: str) -> tuple[int | None, list[str]]:
    """What a websocket client gets while Redis is frozen: its close code and messages."""
    received: list[str] = []
    async with ws_connect(url) as ws:
        try:
            async with asyncio.timeout(ANSWER_WITHIN):
                while True:
                    received.append((await recv_json(ws, within=ANSWER_WITHIN))["type"])
        except ConnectionClosed as closed:
            return (closed.rcvd.code if closed.rcvd else None), received
        except TimeoutError:
            return None, received


async def sse_ending(url: str, headers: dict[str, str] | None = None) -> str:
    """What an event-stream client gets while Redis is frozen, up to the end of the stream."""
    body = ""
    try:
        async with (
            asyncio.timeout(ANSWER_WITHIN),
            aiohttp.ClientSession() as session,
            session.get(url, headers=headers) as response,
        ):
            assert response.status == 200
            async for chunk in response.content.iter_any():
                body += chunk.decode()
    except TimeoutError:
        return body + "\n(no end while Redis was frozen)"
    return body


async def test_joiners_are_told_to_retry_while_redis_hangs_during_warm_up(
    tmp_path: Path, start_broadcaster: BroadcasterStarter
) -> None:
    """No since, since=$ and /sse: each answered (1013, a retry comment) while Redis hangs."""
    with ScratchServer(tmp_path) as server:
        assert server.process is not None
        client = await connect(server.url)
        frozen = False
        try:
            ids = await fill(StreamStore(client, STREAM), ENTRIES)
            running = await start_broadcaster(
                redis_url=server.url, stream=STREAM, recent=100, read_count=20
            )
            os.kill(server.process.pid, signal.SIGSTOP)
            frozen = True
            assert not running.broadcaster.warm, "the stream was read before Redis froze"
            # The last id: ahead of the reader, so /sse checks it against the stream's end.
            resuming = {"Last-Event-ID": ids[-1]}
            (no_since, seen), (now, seen_now), sse, sse_resuming = await asyncio.gather(
                ws_close_code(running.ws_url()),
                ws_close_code(running.ws_url("since=$")),
                sse_ending(running.http_url("/sse")),
                sse_ending(running.http_url("/sse"), resuming),
            )
            assert not running.broadcaster.warm
            os.kill(server.process.pid, signal.SIGCONT)
            frozen = False
            assert (no_since, seen) == (1013, [])
            assert (now, seen_now) == (1013, [])
            assert sse.startswith("retry: 2000")
            assert sse.rstrip().endswith(": redis unavailable; retry"), sse
            assert sse_resuming.startswith("retry: 2000")
            assert sse_resuming.rstrip().endswith(": redis unavailable; retry"), sse_resuming
            # Redis back: the warm-up goes on, and a client without since gets its hello.
            async with ws_connect(running.ws_url()) as ws:
                hello = await recv_json(ws, within=60 * TIMEOUT_FACTOR)
            assert hello["type"] == "hello"
            assert running.broadcaster.warm
        finally:
            if frozen:
                os.kill(server.process.pid, signal.SIGCONT)
            await client.aclose()


async def test_a_broadcaster_started_while_redis_hangs_listens_and_answers(
    tmp_path: Path,
) -> None:
    """Started on a frozen Redis: it listens (health and clock are not waited for), a client
    without since is told to retry, and once Redis is back it gets its hello."""
    with ScratchServer(tmp_path) as server:
        assert server.process is not None
        client = await connect(server.url)
        await fill(StreamStore(client, STREAM), 10)
        broadcaster = Broadcaster(
            client, BroadcasterOptions(stream=STREAM, ping_interval=None, close_timeout=1.0)
        )
        os.kill(server.process.pid, signal.SIGSTOP)
        frozen = True
        try:
            await asyncio.wait_for(broadcaster.start("127.0.0.1", 0), ANSWER_WITHIN)
            url = f"ws://127.0.0.1:{broadcaster.port}/ws"
            assert await ws_close_code(url) == (1013, [])
            os.kill(server.process.pid, signal.SIGCONT)
            frozen = False
            async with ws_connect(url) as ws:
                assert (await recv_json(ws, within=60 * TIMEOUT_FACTOR))["type"] == "hello"
        finally:
            if frozen:
                os.kill(server.process.pid, signal.SIGCONT)
            await broadcaster.close()
            await client.aclose()
