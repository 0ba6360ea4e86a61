"""The cost of the replication guarantee: appends behind Sentinel (``WAIT 1``) against the same
appends on the same primary without it.

A primary, a replica (AOF, ``appendfsync everysec``: the embedded default) and three Sentinels
on loopback (:class:`tests.plugins.sentinel.SentinelSet`); the same updates appended through a
``redis+sentinel://`` client (each append followed by ``WAIT 1 1000`` on its connection) and
through a plain ``redis://`` client of the primary, one at a time (a poller's new entry) and in
batches. Both run on the same servers in the same run, alternated, best of three rounds each:
the ratio is the guarantee's price.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ingest.model.update import Update
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.benchmarks.corpus import cycled_updates
from tests.benchmarks.table import BenchRow
from tests.plugins.sentinel import SentinelSet

__all__ = ["run_replicated_append"]

BATCH = 100
ROUNDS = 3


async def _rate(store: StreamStore, updates: Sequence[Update], batch: int) -> float:
    """Updates appended per second, ``batch`` per call (1: one awaited append each)."""
    started = time.perf_counter()
    if batch == 1:
        for update in updates:
            await store.append(update)
    else:
        for index in range(0, len(updates), batch):
            await store.append_many(updates[index : index + batch])
    return len(updates) / (time.perf_counter() - started)


async def run_replicated_append(*, single: int, count: int) -> list[BenchRow]:
    """Two rows of the append group: one at a time, and batches, with and without ``WAIT``."""
    with tempfile.TemporaryDirectory(prefix="soiree-bench-sentinel-") as folder:
        servers = await asyncio.to_thread(SentinelSet(Path(folder), appendfsync="everysec").start)
        try:
            replicated = await connect(servers.url, client_name="soiree-bench")
            plain = await connect(servers.primary_url, client_name="soiree-bench")
            rows = []
            try:
                for batch, size, name in ((1, single, "one at a time"), (BATCH, count, "batches")):
                    # Alternated, three rounds, the best of each: the machine's other work
                    # and the AOF's growth must not fall on one side only.
                    rates = [0.0, 0.0]
                    for round_ in range(ROUNDS):
                        for side, client in enumerate((plain, replicated)):
                            store = StreamStore(client, f"bench-{side}-{batch}", maxlen=100_000)
                            updates = cycled_updates(size, tag=f"{side}-{batch}-{round_}")
                            rates[side] = max(rates[side], await _rate(store, updates, batch))
                    rows.append(
                        BenchRow(
                            group="append",
                            name=f"append behind Sentinel, WAIT 1 replica, {name} ({size:,})",
                            value=rates[1],
                            unit="updates/s",
                            baseline=rates[0],
                            baseline_name="the same primary without WAIT",
                            target=None,
                            met=None,
                            note="the replication guarantee's cost (docs/deploy.md); TCP on"
                            f" loopback, AOF everysec; best of {ROUNDS} alternated rounds"
                            + ("" if batch == 1 else f"; batches of {BATCH}"),
                        )
                    )
            finally:
                await replicated.aclose()
                await plain.aclose()
        finally:
            await asyncio.to_thread(servers.close)
    return rows
