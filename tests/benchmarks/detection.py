"""Detection latency: a new liveblog entry to the stream, and to a websocket client.

The target (docs/design.md): a new liveblog entry is on the stream <= 50 ms after the poll that
fetched it. The whole real chain runs in this process, everything on 127.0.0.1:

    a liveblog page (aiohttp, port 0, ETag / 304 like a real CMS) that the benchmark grows by
    one entry at a time
      -> the real pollers (:func:`ingest.polling.runner.run_ingest`, interval 20 ms)
      -> the stream (a private redis-server)
      -> the real broadcaster (:class:`ticker.broadcast.broadcaster.Broadcaster`, port 0)
      -> a websockets client.

Three figures per entry:

- **fetch finished -> on the stream**: the poller's own measure (the one ``/healthz`` shows as
  ``detection_latency_ms``): from the end of the HTTP fetch that brought the entry to the
  append acknowledged by Redis (parse, diff, dedupe, append);
- **published -> on the stream**: from the moment the entry is on the page to the moment a
  separate XREAD reader sees it; includes waiting for the next poll (up to one interval);
- **published -> websocket client**: the same, to a client of the broadcaster.

Baselines in the same run: a bare XADD round trip (the floor of the first figure), and the
on-stream figure for the websocket one (what fan-out adds).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import html
import json
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web
from redis.asyncio import Redis
from websockets.asyncio.client import connect as ws_connect

from ingest.polling.poll_result import PollResult
from ingest.polling.runner import run_ingest
from ingest.sources.config import ingest_config_from_mapping
from ingest.store.redis_client import connect
from replay.clock import Lateness
from tests.benchmarks.corpus import night_fixture
from tests.benchmarks.redis_server import bench_redis
from tests.benchmarks.table import BenchRow
from ticker.broadcast.broadcaster import Broadcaster, BroadcasterOptions

__all__ = ["LiveblogSource", "run_detection_benchmarks"]

INTERVAL: Final = 0.02
TARGET_MS: Final = 50.0
_STREAM: Final = "bench:detection"
_WAIT: Final = 5.0


@dataclass(slots=True)
class LiveblogSource:
    """A liveblog page in the default ``HHhMM:`` format, newest entry first, that can grow."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)
    _body: bytes = b""
    _etag: str = '""'

    def add(self, clock: str, text: str, key: str) -> None:
        """Publish one more entry (it is on the page for every request from now on)."""
        self.entries.insert(0, (clock, text, key))
        paragraphs = "".join(
            f'<p id="{html.escape(key)}"><strong>{html.escape(written)}:</strong> '
            f"{html.escape(body)}</p>\n"
            for written, body, key in self.entries
        )
        page = (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Direct</title>'
            f'</head><body><div class="live">\n{paragraphs}</div></body></html>'
        )
        self._body = page.encode("utf-8")
        self._etag = '"' + hashlib.blake2b(self._body, digest_size=8).hexdigest() + '"'

    async def handle(self, request: web.Request) -> web.Response:
        """GET /liveblog, with ETag and 304 Not Modified."""
        if request.headers.get("If-None-Match") == self._etag:
            return web.Response(status=304, headers={"ETag": self._etag})
        return web.Response(
            body=self._body,
            headers={"ETag": self._etag, "Content-Type": "text/html; charset=utf-8"},
        )


@asynccontextmanager
async def _serve(source: LiveblogSource) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/liveblog", source.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}/liveblog"
    finally:
        await runner.cleanup()


@dataclass(slots=True)
class _Arrivals:
    """When each marker was seen, by path."""

    stream: dict[str, float] = field(default_factory=dict)
    websocket: dict[str, float] = field(default_factory=dict)
    websocket_live: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def reached_both(self, marker: str) -> bool:
        """Whether ``marker`` reached both the stream and the websocket client."""
        return marker in self.stream and marker in self.websocket


def _marker(text: str) -> str | None:
    start = text.find("bench-entry-")
    if start < 0:
        return None
    return text[start:].split(maxsplit=1)[0].rstrip(".,;:")


async def _read_stream(redis: Redis, arrivals: _Arrivals) -> None:
    """A plain XREAD reader of its own: when each entry reached the stream."""
    cursor = "$"
    while True:
        reply: Any = await redis.xread({_STREAM: cursor}, block=1000, count=100)
        now = time.monotonic()
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                cursor = entry_id
                marker = _marker(json.loads(fields["data"]).get("text", ""))
                if marker is not None:
                    arrivals.stream.setdefault(marker, now)
                    arrivals.changed.set()


async def _read_websocket(url: str, arrivals: _Arrivals) -> None:
    """A websocket client of the broadcaster: when each entry reached it."""
    async with ws_connect(url, max_size=None, compression=None) as websocket:
        async for raw in websocket:
            now = time.monotonic()
            message: dict[str, Any] = json.loads(raw)
            kind = message.get("type")
            if kind == "live":
                arrivals.websocket_live.set()
            elif kind == "update":
                marker = _marker(str(message.get("text", "")))
                if marker is not None:
                    arrivals.websocket.setdefault(marker, now)
                    arrivals.changed.set()


async def _until(condition: Callable[[], bool], arrivals: _Arrivals) -> None:
    async with asyncio.timeout(_WAIT):
        while not condition():
            arrivals.changed.clear()
            await arrivals.changed.wait()


async def _bare_xadd(redis: Redis, count: int) -> Lateness:
    """Baseline: one XADD round trip of a payload of the same size, ``count`` times."""
    samples = Lateness()
    payload = "x" * 300
    for _ in range(count):
        started = time.perf_counter()
        await redis.xadd("bench:detection:bare", {"uid": "u", "op": "add", "data": payload})
        samples.add(time.perf_counter() - started)
    return samples


def _clock_text(index: int) -> str:
    minutes = 21 * 60 + 20 + index
    return f"{minutes // 60:02d}h{minutes % 60:02d}"


async def _measure(count: int) -> tuple[Lateness, Lateness, Lateness, Lateness]:
    source = LiveblogSource()
    source.add(_clock_text(0), "Ouverture du direct bench-entry-0", "e0")
    night = night_fixture().night
    draw = random.Random(7)
    polled = Lateness()
    on_stream = Lateness()
    on_websocket = Lateness()
    async with bench_redis(persistence=False) as server, _serve(source) as url:
        pollers_redis = await connect(server.url, client_name="soiree-bench-ingest")
        reader_redis = await connect(server.url, client_name="soiree-bench-reader")
        broadcaster_redis = await connect(server.url, client_name="soiree-bench-serve")
        config = ingest_config_from_mapping(
            {"source": [{"name": "bench", "type": "liveblog", "url": url, "interval": INTERVAL}]},
            night=night,
        )
        latencies: list[float] = []
        measured = asyncio.Event()

        def recorded(result: PollResult) -> None:
            if result.latency is not None and result.appended:
                latencies.append(result.latency)
                measured.set()

        stop = asyncio.Event()
        arrivals = _Arrivals()
        broadcaster = Broadcaster(
            broadcaster_redis, BroadcasterOptions(stream=_STREAM, ping_interval=None)
        )
        tasks: list[asyncio.Task[Any]] = []
        try:
            await broadcaster.start("127.0.0.1", 0)
            tasks.append(asyncio.create_task(_read_stream(reader_redis, arrivals)))
            tasks.append(
                asyncio.create_task(
                    _read_websocket(f"ws://127.0.0.1:{broadcaster.port}/ws", arrivals)
                )
            )
            async with asyncio.timeout(_WAIT):
                await arrivals.websocket_live.wait()
            tasks.append(
                asyncio.create_task(
                    run_ingest(
                        config,
                        pollers_redis,
                        night=night,
                        stream=_STREAM,
                        stop=stop,
                        on_poll=recorded,
                    )
                )
            )
            await _until(lambda: "bench-entry-0" in arrivals.websocket, arrivals)
            bare = await _bare_xadd(reader_redis, count)
            for index in range(1, count + 1):
                # A pause drawn over one interval: entries land anywhere in the poll cycle.
                await asyncio.sleep(draw.uniform(0, INTERVAL))
                marker = f"bench-entry-{index}"
                before = len(latencies)
                measured.clear()
                published = time.monotonic()
                source.add(_clock_text(index), f"Nouvelle entrée {marker}", f"e{index}")
                await _until(functools.partial(arrivals.reached_both, marker), arrivals)
                on_stream.add(arrivals.stream[marker] - published)
                on_websocket.add(arrivals.websocket[marker] - published)
                # The poll that appended it has recorded its latency by now, or does shortly.
                if len(latencies) == before:
                    await asyncio.wait_for(measured.wait(), _WAIT)
                polled.add(latencies[-1])
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await broadcaster.close()
            for client in (pollers_redis, reader_redis, broadcaster_redis):
                await client.aclose()
    return polled, on_stream, on_websocket, bare


def _ms(samples: Lateness, fraction: float | None) -> float:
    return 1000 * (samples.worst if fraction is None else samples.percentile(fraction))


def _spread(samples: Lateness) -> str:
    return (
        f"p50 {_ms(samples, 0.5):.1f} ms, p99 {_ms(samples, 0.99):.1f} ms, "
        f"max {_ms(samples, None):.1f} ms, n={len(samples.samples)}"
    )


async def run_detection_benchmarks(*, quick: bool, entries: int | None = None) -> list[BenchRow]:
    """Every detection figure (see the module docstring).

    ``entries`` new entries are published one after the other: 100, 15 when ``quick``.
    """
    count = entries or (15 if quick else 100)
    polled, on_stream, on_websocket, bare = await _measure(count)
    worst = _ms(polled, None)
    return [
        BenchRow(
            group="detection",
            name="fetch finished -> on the stream (max)",
            value=worst,
            unit="ms",
            baseline=_ms(bare, None),
            baseline_name="bare XADD round trip, max",
            target="<= 50 ms",
            met=worst <= TARGET_MS,
            note=f"the poller's own measure: {_spread(polled)}",
        ),
        BenchRow(
            group="detection",
            name="published on the source -> on the stream (p99)",
            value=_ms(on_stream, 0.99),
            unit="ms",
            baseline=None,
            baseline_name=None,
            target=None,
            met=None,
            note=f"waits for the next poll (every {INTERVAL * 1000:g} ms): {_spread(on_stream)}",
        ),
        BenchRow(
            group="detection",
            name="published on the source -> websocket client (p99)",
            value=_ms(on_websocket, 0.99),
            unit="ms",
            baseline=_ms(on_stream, 0.99),
            baseline_name="on the stream, p99",
            target=None,
            met=None,
            note=f"through the real Broadcaster: {_spread(on_websocket)}",
        ),
    ]


def main() -> None:  # pragma: no cover - python -m tests.benchmarks.detection
    """Run the detection benchmarks alone and print their table."""
    import sys  # noqa: PLC0415

    from rich.console import Console  # noqa: PLC0415

    from tests.benchmarks.table import render_table  # noqa: PLC0415

    rows = asyncio.run(run_detection_benchmarks(quick="--quick" in sys.argv))
    Console(width=200).print(render_table(rows))


if __name__ == "__main__":  # pragma: no cover
    main()
