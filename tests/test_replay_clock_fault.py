"""Fault: Redis goes away while the broadcaster relays a replay's clock, and comes back.

soiree's embedded server on the test's own data directory, stopped and restarted: the clock
last read is kept while Redis is away (no ``clock: null``, a new client's snapshot still has it),
and once Redis is back the clock watch reads again and a client connected all along gets the
pause.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect as ws_connect

from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from replay.runner import publish_clock
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_json, recv_until
from tests.test_fault_redis_restart import EmbeddedServer
from tests.test_protocol import validator

AT_2041 = datetime(2017, 1, 29, 20, 41, tzinfo=timezone(timedelta(hours=1)))


async def test_the_clock_survives_redis_going_away_and_moves_again_once_it_is_back(
    start_broadcaster: BroadcasterStarter, tmp_path: Path
) -> None:
    """Redis stopped: the clock is kept; back: the pause reaches a client connected all along."""
    server = EmbeddedServer(tmp_path / "data", appendfsync="always")
    await asyncio.to_thread(server.start)
    client = await connect(server.url)
    try:
        store = StreamStore(client, "fault:clock")
        await store.append(make_update(1))
        await publish_clock(store, AT_2041, speed=60, paused=False)
        running = await start_broadcaster(
            stream=store.stream, redis_url=server.url, clock_interval=0.05
        )
        broadcaster = running.broadcaster
        await broadcaster.wait_warm()
        async with ws_connect(running.ws_url()) as ws:
            before, _live = await recv_until(ws, "live")
            snapshot = next(message for message in before if message["type"] == "snapshot")
            running_clock = snapshot["clock"]
            assert running_clock["paused"] is False

            await asyncio.to_thread(server.stop)
            await _until(lambda: not broadcaster._reader.ok)
            await _until(lambda: broadcaster._clock.failures > 1)
            assert broadcaster._clock.current == running_clock
            # A client joining now (from memory: no Redis needed) still gets the clock.
            async with ws_connect(running.ws_url()) as late:
                before, _live = await recv_until(late, "live")
                late_snapshot = next(m for m in before if m["type"] == "snapshot")
                assert late_snapshot["clock"] == running_clock

            await asyncio.to_thread(server.start)
            await publish_clock(store, AT_2041, speed=60, paused=True)
            seen: list[dict[str, Any]] = []
            async with asyncio.timeout(20 * TIMEOUT_FACTOR):
                while not (seen and seen[-1]["type"] == "clock"):
                    seen.append(await recv_json(ws, within=20))
            # Nothing said the replay had gone while Redis was away: the next clock is the pause.
            validator("server_message").validate(seen[-1])
            assert seen[-1]["clock"]["paused"] is True
            assert [m for m in seen if m["type"] == "clock"] == [seen[-1]]
    finally:
        await client.aclose()
        await asyncio.to_thread(server.stop)


async def _until(condition: Callable[[], object]) -> None:
    """Wait until ``condition()`` holds (the broadcaster's state, looked at every 10 ms)."""
    async with asyncio.timeout(20 * TIMEOUT_FACTOR):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)
