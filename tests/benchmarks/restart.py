"""Restart benchmark: how soon a (re)started ``soiree serve`` answers on a large stream.

A fresh redis-server holds a stream of ``entries`` updates (100,000, or 20,000 with ``--quick``;
appended pipelined, 5,000 at a time). ``soiree serve --port 0`` is started on it, as after a
restart, and measured from the moment it is spawned (its interpreter and imports included):

- **listening**: it prints its address (``http://127.0.0.1:<port>/``), which it does once it
  listens;
- **hello**: a websocket client resuming from the stream's last id (``/ws?since=<last id>``),
  connected as soon as the server listens, gets ``hello`` (and then its ``live``);
- **warm**: ``/healthz`` says ``"warm": true``: the server has read the retained stream (what a
  start read before listening, before the server listened first). That time is the baseline:
  how long connections were refused, before.

The target: a restart accepts connections, and answers them, within 1 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from websockets.asyncio.client import connect as ws_connect

from ingest.model.update import Kind, Update
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.benchmarks.processes import Child, soiree_command
from tests.benchmarks.redis_server import bench_redis
from tests.benchmarks.table import BenchRow

__all__ = ["RestartFigures", "measure_restart", "restart_rows", "run_restart_benchmarks"]

logger = logging.getLogger(__name__)

ENTRIES: Final = 100_000
#: The stream of ``soiree bench --quick``.
QUICK_ENTRIES: Final = 20_000
STREAM: Final = "soiree:bench:restart"
TARGET_SECONDS: Final = 1.0
_WAIT: Final = 120.0
_ADDRESS = re.compile(r"http://127\.0\.0\.1:(\d+)/")


@dataclass(frozen=True, slots=True)
class RestartFigures:
    """Seconds from spawning ``soiree serve`` to each event (see the module docstring)."""

    entries: int
    listening: float
    hello: float
    live: float
    warm: float
    #: Whether the resuming client had its ``hello`` while the server still warmed up.
    hello_before_warm: bool


_PARIS: Final = ZoneInfo("Europe/Paris")


def _update(number: int) -> Update:
    return Update(
        uid=f"bench:restart-{number}",
        at=datetime(2017, 1, 29, 20, 0, tzinfo=_PARIS) + timedelta(seconds=number % 3600),
        source="bench",
        kind=Kind.NEWS,
        text=f"Mise à jour {number} de la soirée électorale.",
        seen=datetime.now(UTC),
        round=2,
    )


async def fill(store: StreamStore, entries: int) -> str:
    """Append ``entries`` updates, pipelined; return the last id."""
    last = ""
    for first in range(0, entries, 5000):
        batch = [_update(n) for n in range(first, min(entries, first + 5000))]
        outcomes = await store.append_many(batch)
        last = next(o.id for o in reversed(outcomes) if o.id is not None)
    return last


def _warm(port: int) -> bool:
    """What ``/healthz`` says of the warm-up now."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
        return bool(json.loads(answer.read())["warm"])


def _wait_warm(port: int, within: float) -> None:
    """Ask ``/healthz`` every 10 ms until it says warm."""
    deadline = time.monotonic() + within
    while not _warm(port):
        if time.monotonic() > deadline:
            raise TimeoutError(f"soiree serve was not warm after {within:g} s")
        time.sleep(0.01)


async def measure_restart(redis_url: str, *, entries: int = ENTRIES) -> RestartFigures:
    """Fill the stream, start ``soiree serve`` on it and time what it answers."""
    redis = await connect(redis_url)
    try:
        store = StreamStore(redis, STREAM)
        await redis.delete(STREAM)
        last_id = await fill(store, entries)
    finally:
        await redis.aclose()
    started = time.monotonic()
    command = soiree_command("serve", "--port", "0", "--redis-url", redis_url, "--stream", STREAM)
    child = await Child.start(command, lines_from="stderr", env={"SOIREE_READ_TOKEN": ""})
    try:
        while (match := _ADDRESS.search(await child.line(_WAIT))) is None:
            pass
        listening = time.monotonic() - started
        child.keep_draining()
        port = int(match[1])
        async with ws_connect(f"ws://127.0.0.1:{port}/ws?since={last_id}") as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), _WAIT))
            said_hello = time.monotonic() - started
            warm_at_hello = await asyncio.to_thread(_warm, port)
            assert hello["type"] == "hello", hello
            while json.loads(await asyncio.wait_for(ws.recv(), _WAIT))["type"] != "live":
                pass
            went_live = time.monotonic() - started
        await asyncio.to_thread(_wait_warm, port, _WAIT)
        warm = time.monotonic() - started
    finally:
        await child.stop()
    return RestartFigures(
        entries=entries,
        listening=listening,
        hello=said_hello,
        live=went_live,
        warm=warm,
        hello_before_warm=not warm_at_hello,
    )


def restart_rows(figures: RestartFigures) -> list[BenchRow]:
    """The table's rows of one measurement."""
    size = f"{figures.entries:,}-entry stream"
    return [
        BenchRow(
            "fanout",
            f"restart on a {size}: hello to a resuming client",
            figures.hello,
            "s",
            figures.warm,
            "reading the stream before listening",
            f"<= {TARGET_SECONDS:g} s",
            figures.hello <= TARGET_SECONDS,
            f"from spawning soiree serve: listening after {figures.listening:.2f} s, hello"
            f" {'before' if figures.hello_before_warm else 'after'} warm, live after"
            f" {figures.live:.2f} s, warm (the stream read) after {figures.warm:.2f} s",
        )
    ]


async def run_restart_benchmarks(*, quick: bool, entries: int | None = None) -> list[BenchRow]:
    """Measure a restart on a fresh redis-server: ``entries`` (default :data:`ENTRIES`, or
    :data:`QUICK_ENTRIES` when ``quick``)."""
    if entries is None:
        entries = QUICK_ENTRIES if quick else ENTRIES
    async with bench_redis(persistence=False) as redis:
        logger.info("restart: soiree serve on a %d-entry stream", entries)
        return restart_rows(await measure_restart(redis.url, entries=entries))
