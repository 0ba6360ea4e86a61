"""Tests for ingest.store.store_probe: a silent Redis is told apart from a busy process."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from ingest.store.redis_client import StoreLimits, bounded_client, connect
from ingest.store.scratch_redis import ScratchServer
from ingest.store.store_probe import StoreProbe


async def test_a_frozen_redis_is_silent_but_a_busy_process_is_not_taken_for_it(
    tmp_path: Path,
) -> None:
    """Live: answers. Frozen: silent. Frozen while this process is stuck: no conclusion drawn."""
    with ScratchServer(tmp_path) as server:
        assert server.process is not None
        client = await connect(server.url)
        prober = bounded_client(client, StoreLimits(max_connections=1, retries=0))
        try:
            assert await StoreProbe(prober).answers(within=2.0)
            os.kill(server.process.pid, signal.SIGSTOP)
            try:
                silent = StoreProbe(prober)
                assert not await silent.answers(within=0.2)
                # The same wait, with this process itself stuck for a second meanwhile (a
                # burst of CPU work): the late timer says nothing about Redis.
                busy = StoreProbe(prober)
                asyncio.get_running_loop().call_later(0.05, time.sleep, 1.0)
                assert await busy.answers(within=0.2)
                await silent.close()
                await busy.close()
            finally:
                os.kill(server.process.pid, signal.SIGCONT)
        finally:
            await prober.aclose()
            await client.aclose()
