"""Many sources in one ingest process: its CPU share and its detection latency, 100 and 1,000.

A newsroom polls hundreds of pages and feeds (one per département is 101 alone); the target is
1,000 sources in one ``soiree ingest`` process at 5 s intervals. For each size, the benchmark
serves that many liveblog pages from this process (aiohttp on 127.0.0.1, port 0; ETag and 304
as a real CMS answers), each gaining an entry every 10 s at a phase of its own (so a tenth of
the sources change per second), and runs, as a process of its own on a private redis-server:

- **soiree**: ``soiree -v ingest`` on a sources file of those pages, interval 5 s,
  ``max_per_host = 20`` (the pages share one host:port here; a newsroom's sources do not);
- **the baseline** (:mod:`tests.benchmarks.bare_poller`): a bare aiohttp loop that fetches the
  same pages at the same interval with the same conditional requests, and does nothing with
  them: the floor of any poller written in Python.

After a warm-up (every source polled once, its entries appended), each process's CPU time
(``/proc/<pid>/stat``, user + system) is read over a window; the CPU share is CPU seconds per
second of that window (1.0 is one core, busy). Detection latency is the poller's own measure
(fetch finished -> appended, the figure ``/healthz`` shows), read from the ``-v`` log line of
every poll that appended in the window; the row gives its p99 (and the notes p50 and max).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import operator
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from aiohttp import web

from replay.clock import Lateness
from tests.benchmarks.corpus import night_fixture
from tests.benchmarks.redis_server import bench_redis
from tests.benchmarks.table import BenchRow

__all__ = ["SourcesRun", "run_sources_benchmarks"]

INTERVAL: Final = 5.0
#: Each page gains an entry this often (seconds), at a phase of its own.
PUBLISH_EVERY: Final = 10.0
#: Entries each page shows at first.
FIRST_ENTRIES: Final = 5
MAX_PER_HOST: Final = 20
TARGET_MS: Final = 50.0
FULL_SIZES: Final = (100, 1000)
QUICK_SIZES: Final = (100,)
_WINDOW: Final = 30.0
_QUICK_WINDOW: Final = 6.0
_LATENCY_LINE: Final = re.compile(r"detection latency ([0-9.]+) ms")
_STOP_TIMEOUT: Final = 10.0
_WARM_UP_LIMIT: Final = 120.0


@dataclass(slots=True)
class _Pages:
    """``count`` liveblog pages that grow on their own, one entry per PUBLISH_EVERY each."""

    count: int
    started: float = field(default_factory=time.monotonic)
    phases: list[float] = field(default_factory=list)
    requests: int = 0

    def __post_init__(self) -> None:
        draw = random.Random(11)
        self.phases = [draw.uniform(0, PUBLISH_EVERY) for _ in range(self.count)]

    def entries(self, number: int) -> int:
        """How many entries page ``number`` shows now."""
        elapsed = time.monotonic() - self.started + self.phases[number]
        return FIRST_ENTRIES + int(elapsed / PUBLISH_EVERY)

    async def handle(self, request: web.Request) -> web.Response:
        """One page, or 304 when the client already has this version."""
        self.requests += 1
        number = int(request.match_info["number"])
        if not 0 <= number < self.count:
            raise web.HTTPNotFound
        shown = self.entries(number)
        etag = f'"{number}-{shown}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        paragraphs = "".join(
            f'<p id="e{k}"><strong>{18 + k // 60}h{k % 60:02d}:</strong> '
            f"{html.escape(f'Source {number}, entrée {k}')}</p>\n"
            for k in reversed(range(shown))
        )
        return web.Response(
            text=f'<!doctype html><html lang="fr"><body><div class="live">\n{paragraphs}</div>'
            "</body></html>",
            content_type="text/html",
            headers={"ETag": etag},
        )


@asynccontextmanager
async def _serve(pages: _Pages) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/s/{number}", pages.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def _all_fetched(pages: _Pages, _appending: int) -> bool:
    return pages.requests >= pages.count


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sources_file(directory: Path, base_url: str, count: int, interval: float) -> Path:
    night = night_fixture().directory / "night.toml"
    lines = [
        f'night = "{night}"',
        f'base_url = "{base_url}"',
        f"max_per_host = {MAX_PER_HOST}",
    ]
    for number in range(count):
        lines += [
            "[[source]]",
            f'name = "s{number}"',
            'type = "liveblog"',
            f'url = "/s/{number}"',
            f"interval = {interval:g}",
        ]
    path = directory / f"sources-{count}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True, slots=True)
class SourcesRun:
    """One process polling ``sources`` pages over a window: its CPU share and latencies."""

    sources: int
    cpu_share: float
    latencies: Lateness
    failures: int


async def _run(
    argv: Sequence[str], *, sources: int, window: float, warmed: Callable[[int], bool]
) -> SourcesRun:
    """Run ``argv``; once ``warmed(appending polls logged)``, its CPU share and latencies.

    The warm-up is the process's start and every source's first poll; then ``window`` seconds
    are measured.
    """
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    latencies = Lateness()
    failures = appending = 0
    measuring = False

    async def read_log() -> None:
        nonlocal failures, appending
        assert process.stderr is not None
        async for raw in process.stderr:
            line = raw.decode("utf-8", "replace")
            match = _LATENCY_LINE.search(line)
            appending += match is not None
            if not measuring:
                continue
            if "poll failed" in line:
                failures += 1
            elif match:
                latencies.add(float(match[1]) / 1000)

    reader = asyncio.create_task(read_log())
    try:
        async with asyncio.timeout(_WARM_UP_LIMIT):
            while not warmed(appending):
                if process.returncode is not None:
                    raise RuntimeError(f"{argv[:4]} exited with {process.returncode}")
                await asyncio.sleep(0.1)
        measuring = True
        before, started = _cpu_seconds(process.pid), time.monotonic()
        await asyncio.sleep(window)
        cpu = _cpu_seconds(process.pid) - before
        share = cpu / (time.monotonic() - started)
        measuring = False
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), _STOP_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    return SourcesRun(sources, share, latencies, failures)


async def _measure(count: int, window: float, interval: float) -> tuple[SourcesRun, SourcesRun]:
    """soiree, then the bare baseline, on ``count`` fresh pages each."""
    runs: list[SourcesRun] = []
    with tempfile.TemporaryDirectory(prefix="soiree-bench-sources-") as raw:
        directory = Path(raw)
        for bare in (False, True):
            pages = _Pages(count)
            async with bench_redis(persistence=False) as server, _serve(pages) as base_url:
                config = _sources_file(directory, base_url, count, interval)
                if bare:
                    argv = [
                        sys.executable, "-m", "tests.benchmarks.bare_poller", str(config),
                        base_url, str(interval), str(MAX_PER_HOST),
                    ]  # fmt: skip
                    # Warm once the server has seen every source.
                    warmed = functools.partial(_all_fetched, pages)
                else:
                    argv = [
                        sys.executable, "-c",
                        "import sys; from ingest.cli import main; sys.exit(main())",
                        "-v", "ingest", "--config", str(config), "--redis-url", server.url,
                        "--stream", f"bench:sources:{count}",
                    ]  # fmt: skip
                    # Warm once every source's first poll has appended its first entries.
                    warmed = functools.partial(operator.le, count)
                runs.append(await _run(argv, sources=count, window=window, warmed=warmed))
    return runs[0], runs[1]


def _ms(samples: Lateness, fraction: float | None) -> float:
    if not samples.samples:
        return 0.0
    return 1000 * (samples.worst if fraction is None else samples.percentile(fraction))


async def run_sources_benchmarks(
    *,
    quick: bool,
    sizes: Sequence[int] | None = None,
    window: float | None = None,
    interval: float = INTERVAL,
) -> list[BenchRow]:
    """CPU share and detection p99 of one ingest process at each size (module docstring).

    ``sizes`` default to 100 and 1,000 sources (100 alone when ``quick``); ``window`` (30 s,
    6 s when ``quick``) is measured after the warm-up; ``interval`` is every source's (the
    tests' tiny run shortens it).
    """
    span = window if window is not None else (_QUICK_WINDOW if quick else _WINDOW)
    sizes = sizes or (QUICK_SIZES if quick else FULL_SIZES)
    rows: list[BenchRow] = []
    smallest: SourcesRun | None = None
    for count in sizes:
        soiree, bare = await _measure(count, span, interval)
        polls = count * span / interval
        rows.append(
            BenchRow(
                group="sources",
                name=f"{count:,} sources every {interval:g} s: CPU share of one core",
                value=100 * soiree.cpu_share,
                unit="%",
                baseline=100 * bare.cpu_share,
                baseline_name="bare aiohttp fetch loop, same pages",
                target=None,
                met=None,
                note=f"{polls / span:,.0f} polls/s, {soiree.cpu_share * 1e6 / (polls / span):,.0f}"
                f" µs of CPU per poll; {len(soiree.latencies.samples)} polls appended in"
                f" {span:g} s; {soiree.failures} failed polls",
            )
        )
        p99 = _ms(soiree.latencies, 0.99)
        rows.append(
            BenchRow(
                group="sources",
                name=f"{count:,} sources: detection p99 (fetch finished -> on the stream)",
                value=p99,
                unit="ms",
                baseline=None if smallest is None else _ms(smallest.latencies, 0.99),
                baseline_name=None if smallest is None else f"{smallest.sources:,} sources, p99",
                target="<= 50 ms",
                met=p99 <= TARGET_MS,
                note=f"p50 {_ms(soiree.latencies, 0.5):.1f} ms, max"
                f" {_ms(soiree.latencies, None):.1f} ms, n={len(soiree.latencies.samples)}",
            )
        )
        smallest = smallest or soiree
    return rows


def main() -> None:  # pragma: no cover - python -m tests.benchmarks.sources
    """Run the sources benchmarks alone and print their table."""
    from rich.console import Console  # noqa: PLC0415

    from tests.benchmarks.table import render_table  # noqa: PLC0415

    rows = asyncio.run(run_sources_benchmarks(quick="--quick" in sys.argv))
    Console(width=200).print(render_table(rows))


if __name__ == "__main__":  # pragma: no cover
    main()
