"""``soiree serve --workers 2`` and ``4`` against one process and two processes behind nginx.

The fan-out measurement of :mod:`tests.benchmarks.fanout` (load-generator processes, a probe
update's delivery latency from the kernel's receive timestamps, then bursts), on three set-ups
of the same stream, one after the other::

    .venv/bin/python -m tests.benchmarks.serve_workers --clients 1000

- ``1 process``: ``soiree serve``;
- ``--workers 2`` and ``--workers 4``: ``soiree serve --workers N`` (one port, ``SO_REUSEPORT``);
- ``2 + nginx``: two ``soiree serve`` behind nginx (2 worker processes,
  ``deploy/nginx.conf.template``).

Nothing is pinned: servers, nginx, Redis and the generators share the machine's cores (unlike
the fan-out benchmark, which gives its one server a core of its own). CPU is the server side's
(every soiree process, and nginx's for the third) per delivered frame.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.benchmarks.fanout import SOIREE, ServerFigures, _Session, plan_for
from tests.benchmarks.load_client import raise_open_files_limit
from tests.benchmarks.processes import Child, cpu_seconds, soiree_command
from tests.benchmarks.redis_server import bench_redis
from tests.plugins.load_balancer import running_nginx

SETUPS = ("1 process", "--workers 2", "--workers 4", "2 + nginx")


def _descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, its in parents.items() if its == parent]
        found.extend(children)
        frontier.extend(children)
    return found


class _Group:
    """The server side as one process for :class:`_Session`: CPU summed over every process."""

    def __init__(self, children: list[Child], extra: list[int]) -> None:
        self.children = children
        self.pid = children[0].pid
        self.extra = extra

    def pids(self) -> list[int]:
        """Every process of the server side now."""
        pids = [*self.extra]
        for child in self.children:
            pids += [child.pid, *_descendants(child.pid)]
        return pids

    def cpu(self) -> float:
        """CPU seconds so far, all of them."""
        total = 0.0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def rss(self) -> int:
        """Not measured here (0)."""
        return 0

    async def stop(self) -> None:
        """Stop every soiree process."""
        for child in self.children:
            await child.stop()


class _SetupSession(_Session):
    def __init__(self, setup: str, clients: int, redis_url: str, folder: Path) -> None:
        super().__init__(SOIREE, plan_for(clients, quick=True), redis_url, loop=None,
                         mode="broadcast", placement=None)  # fmt: skip
        self.setup = setup
        self.folder = folder
        self.exits = contextlib.AsyncExitStack()

    async def _serve(self, *extra: str) -> tuple[Child, int]:
        command = soiree_command(
            "serve", "--port", "0", "--stream", self.stream, "--redis-url", self.redis_url, *extra
        )
        child = await Child.start(command, lines_from="stderr")
        line = await child.line(60.0)
        while "soiree serve: http://" not in line:
            line = await child.line(60.0)
        child.keep_draining()
        return child, int(line.split("127.0.0.1:")[1].split("/")[0])

    async def start_server(self) -> None:
        if self.setup == "2 + nginx":
            served = [await self._serve(), await self._serve()]
            upstreams = [f"127.0.0.1:{port}" for _, port in served]
            self.port = await self.exits.enter_async_context(
                running_nginx(self.folder, upstreams, workers="2", connections=8192)
            )
            nginx = [p for p in _descendants(os.getpid()) if b"nginx" in _cmdline(p)]
            self.process = _Group([child for child, _ in served], nginx)  # type: ignore[assignment]
        else:
            workers = self.setup.split()[1] if self.setup.startswith("--workers") else "1"
            child, self.port = await self._serve("--workers", workers)
            self.process = _Group([child], [])  # type: ignore[assignment]

    async def stop(self) -> None:
        await super().stop()
        await self.exits.aclose()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


async def measure(setup: str, clients: int, redis_url: str, folder: Path) -> ServerFigures:
    """One set-up's figures: probe latencies, burst rates, server-side CPU per frame."""
    redis = await connect(redis_url)
    session = _SetupSession(setup, clients, redis_url, folder)
    plan = session.plan
    try:
        store = StreamStore(redis, session.stream)
        await session.start_server()
        await asyncio.sleep(plan.settle)
        await session.connect_clients()
        await asyncio.sleep(plan.settle)
        await session.probe(store, record=False)
        for _round in range(plan.latency_rounds + 2):
            await asyncio.sleep(0.1)
            await session.probe(store, record=True)
        for _burst in range(2):
            await asyncio.sleep(0.2)
            await session.burst(store)
        return session.figures
    finally:
        await session.stop()
        await redis.aclose()


async def _main(clients: int) -> None:
    raise_open_files_limit()
    async with bench_redis(persistence=False) as redis:
        for setup in SETUPS:
            with tempfile.TemporaryDirectory() as folder:
                figures = await measure(setup, clients, redis.url, Path(folder))
            print(
                f"{setup:12} {figures.connected} clients: probe delivery p50"
                f" {figures.latency(0.5) * 1000:.1f} ms p99 {figures.latency(0.99) * 1000:.1f} ms;"
                f" burst {figures.rate:,.0f} deliveries/s;"
                f" server-side CPU {figures.cpu * 1e6:.1f} us/frame (probe"
                f" {figures.probe_cpu * 1e6:.1f}); missing {figures.latency_missing}"
                f"+{figures.burst_missing}",
                flush=True,
            )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.benchmarks.serve_workers [--clients N]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=1000)
    args = parser.parse_args(argv)
    asyncio.run(_main(args.clients))
    return 0


if __name__ == "__main__":
    sys.exit(main())
