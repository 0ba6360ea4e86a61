"""Idempotent append throughput, beside raw pipelined XADD on the same server.

What is measured (target in docs/design.md: >= 50,000 updates/s):

- ``StreamStore.append_many`` of N distinct updates (the night's, cycled under new uids: real
  payload sizes, about 500 bytes of JSON each) in batches of :data:`BATCH`, as a replay or a
  poller catching up appends them: encoding, the Lua dedupe + XADD, and the replies included;
- the same with soiree's embedded default (AOF, ``appendfsync everysec``);
- the duplicate path: the same updates offered again (fresh instances, so they are encoded
  again), nothing written;
- one at a time (``StreamStore.append`` awaited per update), as a poller appends a single
  new entry;
- behind Sentinel, each append waiting for a replica (``WAIT 1``), against the same primary
  without it (:mod:`tests.benchmarks.replicated_append`).

Baselines, on the same server in the same run: raw XADD of the same payloads through redis-py,
pipelined in the same batches (or awaited one by one), and ``redis-benchmark`` XADD of a payload
of the same size when the binary is installed (``apt-get install redis-tools``).

Each row's note splits the time into the client's CPU and the server's CPU per update (from
``INFO cpu``): on two cores they run in parallel only across pipelined batches.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import json
import shutil
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from redis.asyncio import Redis

from ingest.model.update import Update
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.benchmarks.corpus import cycled_updates
from tests.benchmarks.redis_server import BenchRedis, bench_redis, server_cpu_seconds
from tests.benchmarks.replicated_append import run_replicated_append
from tests.benchmarks.table import BenchRow

__all__ = ["BATCH", "FULL", "QUICK", "TARGET_PER_SECOND", "AppendSizes", "run_append_benchmarks"]

#: Updates per append_many call (and per pipeline of the XADD baseline).
BATCH: Final = 1000
TARGET_PER_SECOND: Final = 50_000
_TARGET: Final = ">= 50,000 updates/s"


@dataclass(frozen=True, slots=True)
class AppendSizes:
    """How much each append run does: ``count`` updates batched (half that with AOF),
    ``single`` one at a time, ``benchmark_requests`` for redis-benchmark (0: not run)."""

    count: int
    single: int
    benchmark_requests: int
    benchmark_one_at_a_time: bool


FULL: Final = AppendSizes(
    count=100_000, single=5_000, benchmark_requests=200_000, benchmark_one_at_a_time=True
)
QUICK: Final = AppendSizes(
    count=10_000, single=1_000, benchmark_requests=20_000, benchmark_one_at_a_time=False
)


@dataclass(frozen=True, slots=True)
class Measured:
    """One timed run: how many operations, wall seconds, and CPU seconds on each side."""

    count: int
    seconds: float
    client_cpu: float
    server_cpu: float

    @property
    def rate(self) -> float:
        """Operations per wall second."""
        return self.count / self.seconds if self.seconds > 0 else 0.0

    def split(self) -> str:
        """Client and server CPU per operation, for the note."""
        per_client = self.client_cpu / self.count * 1e6
        per_server = self.server_cpu / self.count * 1e6
        return f"client {per_client:.1f} µs + server {per_server:.1f} µs CPU per update"


async def _timed(socket: Path, count: int, run: Callable[[], Awaitable[None]]) -> Measured:
    server_before = server_cpu_seconds(socket)
    cpu_before = time.process_time()
    started = time.perf_counter()
    await run()
    seconds = time.perf_counter() - started
    client_cpu = time.process_time() - cpu_before
    server_cpu = server_cpu_seconds(socket) - server_before
    return Measured(count, seconds, client_cpu, server_cpu)


def _batches(updates: Sequence[Update], size: int) -> list[Sequence[Update]]:
    return [updates[index : index + size] for index in range(0, len(updates), size)]


async def measure_append_many(
    server: BenchRedis, store: StreamStore, updates: Sequence[Update], *, batch: int = BATCH
) -> Measured:
    """Append ``updates`` in batches of ``batch``; time it."""
    chunks = _batches(updates, batch)

    async def run() -> None:
        for chunk in chunks:
            await store.append_many(chunk)

    return await _timed(server.socket, len(updates), run)


async def measure_append_one_by_one(
    server: BenchRedis, store: StreamStore, updates: Sequence[Update]
) -> Measured:
    """Append ``updates`` one awaited call at a time; time it."""

    async def run() -> None:
        for update in updates:
            await store.append(update)

    return await _timed(server.socket, len(updates), run)


def _raw_entries(updates: Sequence[Update]) -> list[dict[str, str]]:
    """What the store writes for each update (uid, op, data): the baseline's exact payloads."""
    entries: list[dict[str, str]] = []
    for update in updates:
        data = update.to_json()
        for name in ("id", "uid", "op"):
            data.pop(name, None)
        entries.append(
            {"uid": update.uid, "op": update.op.value, "data": _compact_json(data)},
        )
    return entries


def _compact_json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


async def measure_raw_xadd(
    server: BenchRedis,
    redis: Redis,
    stream: str,
    entries: Sequence[dict[str, str]],
    *,
    batch: int = BATCH,
) -> Measured:
    """Baseline: XADD of pre-encoded payloads, pipelined ``batch`` at a time (no dedupe)."""
    chunks = [entries[index : index + batch] for index in range(0, len(entries), batch)]

    async def run() -> None:
        for chunk in chunks:
            async with redis.pipeline(transaction=False) as pipe:
                for fields in chunk:
                    pipe.xadd(stream, fields)  # type: ignore[arg-type]
                await pipe.execute()

    return await _timed(server.socket, len(entries), run)


async def measure_raw_xadd_one_by_one(
    server: BenchRedis, redis: Redis, stream: str, entries: Sequence[dict[str, str]]
) -> Measured:
    """Baseline: XADD of pre-encoded payloads, one awaited command at a time."""

    async def run() -> None:
        for fields in entries:
            await redis.xadd(stream, fields)  # type: ignore[arg-type]

    return await _timed(server.socket, len(entries), run)


def redis_benchmark_xadd(
    socket: Path, *, payload_bytes: int, requests: int, pipeline: int, clients: int
) -> float | None:
    """``redis-benchmark`` XADD rate (requests/s) on ``socket``, or None if not installed."""
    executable = shutil.which("redis-benchmark")
    if executable is None:
        return None
    command = [
        executable,
        "-s", str(socket),
        "-P", str(pipeline),
        "-c", str(clients),
        "-n", str(requests),
        "-q", "--csv",
        "XADD", "redis-benchmark", "*", "uid", "u", "op", "add", "data", "x" * payload_bytes,
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    for record in csv.reader(io.StringIO(done.stdout)):
        if len(record) >= 2 and record[0].startswith("XADD"):
            try:
                return float(record[1])
            except ValueError:
                return None
    return None


def _row(
    name: str,
    measured: Measured,
    baseline: Measured | float | None,
    baseline_name: str | None,
    *,
    target: bool = True,
    note: str = "",
) -> BenchRow:
    base = baseline.rate if isinstance(baseline, Measured) else baseline
    rate = measured.rate
    split = measured.split()
    return BenchRow(
        group="append",
        name=name,
        value=rate,
        unit="updates/s",
        baseline=base,
        baseline_name=baseline_name,
        target=_TARGET if target else None,
        met=(rate >= TARGET_PER_SECOND) if target else None,
        note=f"{split}; {note}" if note else split,
    )


def _settle() -> None:
    """Collect garbage before a timed run: the previous run's objects must not be its cost."""
    gc.collect()


async def _warm_up(server: BenchRedis, redis: Redis) -> None:
    """Load the script, open the connection, grow the allocators, on throw-away streams."""
    await measure_append_many(
        server, StreamStore(redis, "warm", maxlen=100_000), cycled_updates(2 * BATCH, tag="w")
    )
    await measure_raw_xadd(server, redis, "warm-raw", _raw_entries(cycled_updates(BATCH)))
    await redis.delete("warm", "warm-raw")


async def _baseline(server: BenchRedis, redis: Redis, count: int, tag: str) -> tuple[Measured, int]:
    """Raw pipelined XADD of the payloads of ``count`` updates; and their mean size in bytes."""
    entries = _raw_entries(cycled_updates(count, tag=tag))
    payload = sum(len(entry["data"].encode()) for entry in entries) // len(entries)
    _settle()
    raw = await measure_raw_xadd(server, redis, f"bench-raw-{tag}", entries)
    del entries
    return raw, payload


async def _append_run(server: BenchRedis, store: StreamStore, count: int, tag: str) -> Measured:
    """append_many of ``count`` fresh updates (uids of ``tag``: the same tag, the same uids)."""
    updates = cycled_updates(count, tag=tag)
    _settle()
    measured = await measure_append_many(server, store, updates)
    del updates
    return measured


async def _no_persistence(sizes: AppendSizes) -> list[BenchRow]:
    count, single = sizes.count, sizes.single
    rows: list[BenchRow] = []
    async with bench_redis(persistence=False) as server:
        redis = await connect(server.url, client_name="soiree-bench")
        try:
            await _warm_up(server, redis)
            raw, payload = await _baseline(server, redis, count, "a")
            store = StreamStore(redis, "bench", maxlen=max(count, 100_000))
            appended = await _append_run(server, store, count, "a")
            duplicates = await _append_run(server, store, count, "a")
            length = await store.length()
            if length != count:
                raise RuntimeError(f"the benchmark stream holds {length} entries, not {count}")

            rows.append(
                _row(
                    f"append_many, {count:,} new updates, batches of {BATCH}",
                    appended,
                    raw,
                    "raw pipelined XADD",
                    note=f"no persistence; payload ~{payload} B",
                )
            )
            benchmark = None
            if sizes.benchmark_requests:
                benchmark = redis_benchmark_xadd(
                    server.socket,
                    payload_bytes=payload,
                    requests=sizes.benchmark_requests,
                    pipeline=32,
                    clients=50,
                )
            if benchmark is not None:
                rows.append(
                    _row(
                        "append_many, same run, beside redis-benchmark",
                        appended,
                        benchmark,
                        "redis-benchmark XADD -P 32",
                        target=False,
                        note="redis-benchmark: 50 connections, no dedupe, no JSON",
                    )
                )
            rows.append(
                _row(
                    f"append_many, {count:,} duplicates (nothing written)",
                    duplicates,
                    raw,
                    "raw pipelined XADD",
                    note="every update already on the stream",
                )
            )

            few_entries = _raw_entries(cycled_updates(single, tag="raw-one"))
            raw_one = await measure_raw_xadd_one_by_one(server, redis, "bench-raw-one", few_entries)
            few = cycled_updates(single, tag="one")
            _settle()
            one = await measure_append_one_by_one(
                server, StreamStore(redis, "bench-one", maxlen=100_000), few
            )
            one_note = "one round trip each (a poller's single new entry)"
            benchmark_one = None
            if sizes.benchmark_one_at_a_time:
                benchmark_one = redis_benchmark_xadd(
                    server.socket, payload_bytes=payload, requests=20_000, pipeline=1, clients=1
                )
            if benchmark_one is not None:
                one_note += f"; redis-benchmark -c 1 -P 1: {benchmark_one:,.0f}/s"
            rows.append(
                _row(
                    f"append, one at a time ({single:,})",
                    one,
                    raw_one,
                    "raw XADD one at a time",
                    target=False,
                    note=one_note,
                )
            )
        finally:
            await redis.aclose()
    return rows


async def _with_aof(count: int) -> list[BenchRow]:
    """The embedded default (AOF everysec): baseline and append each on a fresh server.

    Each starts from an empty AOF, below the size (64 MB) at which Redis rewrites it in a
    forked child: a rewrite during one run and not the other would make the ratio meaningless.
    """
    async with bench_redis(persistence=True) as server:
        redis = await connect(server.url, client_name="soiree-bench")
        try:
            await _warm_up(server, redis)
            raw, _ = await _baseline(server, redis, count, "aof")
        finally:
            await redis.aclose()
    async with bench_redis(persistence=True) as server:
        redis = await connect(server.url, client_name="soiree-bench")
        try:
            await _warm_up(server, redis)
            store = StreamStore(redis, "bench", maxlen=max(count, 100_000))
            appended = await _append_run(server, store, count, "aof")
        finally:
            await redis.aclose()
    return [
        _row(
            f"append_many, {count:,} new updates, AOF everysec",
            appended,
            raw,
            "raw pipelined XADD, AOF",
            note="the embedded default's persistence; each on a fresh server, no AOF rewrite",
        )
    ]


async def run_append_benchmarks(*, quick: bool, sizes: AppendSizes | None = None) -> list[BenchRow]:
    """Every append figure (see the module docstring).

    ``quick`` runs :data:`QUICK` sizes (a few seconds) instead of :data:`FULL`; ``sizes``
    overrides both (the smoke test runs tiny ones).
    """
    chosen = sizes or (QUICK if quick else FULL)
    rows = await _no_persistence(chosen)
    rows.extend(await _with_aof(max(chosen.count // 2, 1)))
    rows.extend(await run_replicated_append(single=chosen.single, count=chosen.count // 2 or 1))
    return rows


def main() -> None:  # pragma: no cover - a developer's shortcut: python -m tests.benchmarks.append
    """Run the append benchmarks alone and print their table."""
    import sys  # noqa: PLC0415

    from rich.console import Console  # noqa: PLC0415

    from tests.benchmarks.table import render_table  # noqa: PLC0415

    rows = asyncio.run(run_append_benchmarks(quick="--quick" in sys.argv))
    Console(width=200).print(render_table(rows))


if __name__ == "__main__":  # pragma: no cover
    main()
