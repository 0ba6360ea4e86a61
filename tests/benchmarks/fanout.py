"""Fan-out benchmarks: latency, deliveries per second, memory and CPU per frame of ``soiree serve``.

For each number of subscribers (1,000, 5,000, 10,000), two servers are measured the same way,
one after the other, each in its own process reading its own fresh stream on a private
redis-server (a unix socket in a temporary directory):

- ``soiree serve --port 0 --stream S --redis-url unix://...``: the real broadcaster, as a
  newsroom runs it (every option at its default);
- the baseline, :mod:`tests.benchmarks.bare_server`: a bare ``websockets.broadcast`` loop over
  the same stream.

The subscribers are held by load-generator processes (:mod:`tests.benchmarks.load_client`,
up to 2,500 connections each, at least two, bound to source addresses 127.0.0.2, 127.0.0.3...).
On a machine with two cores or more, the server is pinned to the first core and everything else
(generators, Redis, this process) to the others, so that a server gets one core of its own, as
it would on its own machine, and is never preempted by the clients it is writing to; the
generators also run at a lower priority. Then:

1. **Memory**: the server's RSS (``VmRSS``) before any client, then after every client is
   connected (``/ws?since=$``, each got ``live``) and a settle; the difference divided by the
   clients is the memory per idle subscriber.
2. **Latency**: a probe update is appended to the stream with its wall time ``t0`` in its text;
   each client socket's kernel receive timestamp of the frame (``SO_TIMESTAMPNS``) minus ``t0``
   is its delivery latency: when the server's write put the frame on the client's socket,
   however late the generator read it (that time is kept too, for the notes). A warm-up probe,
   then several rounds; p50 / p99 / max over every client of every round.
3. **Burst**: ``B`` updates appended at once (one ``append_many``: soiree's idempotent append,
   pipelined); deliveries per second = clients x B / (delivery of the last client's B-th frame
   - start of the append). The server process's CPU time over the burst (``/proc``), divided by
   the deliveries, is its CPU per delivered frame. The generators' CPU over the same window
   shows whether they kept up (the busiest one's share of a core).

Other processes on the machine are accounted for: CPU time spent by anything but the server,
the generators, Redis and this process during the measurements is reported in the notes.
Everything runs on this machine, on 127.0.0.0/8 and unix sockets only.
:func:`run_fanout_benchmarks` returns the figures as :class:`~tests.benchmarks.table.BenchRow`
s (groups ``fanout``, ``memory``, ``cpu``); ``python -m tests.benchmarks.fanout`` runs it alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import re
import statistics
import sys
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Final
from uuid import uuid4

from ingest.model.update import Kind, Update
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.benchmarks.load_client import raise_open_files_limit
from tests.benchmarks.processes import (
    Child,
    cpu_seconds,
    machine_busy_seconds,
    python_command,
    soiree_command,
)
from tests.benchmarks.redis_server import bench_redis
from tests.benchmarks.restart import run_restart_benchmarks
from tests.benchmarks.table import BenchRow, machine_info, rows_to_json
from ticker.commands.serve import EVENT_LOOP_ENV

__all__ = [
    "DEFAULT_SIZES",
    "QUICK_SIZES",
    "Placement",
    "Plan",
    "ServerFigures",
    "main",
    "plan_for",
    "run_fanout_benchmarks",
]

logger = logging.getLogger(__name__)

DEFAULT_SIZES: Final = (1_000, 5_000, 10_000)
QUICK_SIZES: Final = (1_000,)
#: Connections one load-generator process holds at most.
PER_PROCESS: Final = 2_500
#: The load generators run at a lower priority: on the cores they share with Redis and the
#: runner they take what CPU is left (their delivery times are the kernel's receive
#: timestamps, so their own delays do not count), and on a machine where nothing is pinned
#: their wake-ups do not preempt the server in the middle of a fan-out.
GENERATOR_NICE: Final = 10
BASELINE_NAME: Final = "bare websockets.broadcast"
FRAME_ONCE_NAME: Final = "frame once, a write per update"
SOIREE: Final = "soiree serve"
#: What the ``/sse`` rows compare with: soiree serve's websocket clients, in the same run.
SSE_BASELINE: Final = "soiree serve /ws"

_PARIS: Final = timezone(timedelta(hours=1))
_STARTUP_TIMEOUT: Final = 30.0
_SERVE_LINE: Final = re.compile(r"soiree serve: http://[^/]*:(\d+)/")
# Text that brings an update's frame to ~380 bytes (the figures are for ~300-byte JSON).
_FILLER: Final = "Les bureaux de vote ferment: premières estimations attendues à 20h00. " * 2


@dataclass(frozen=True, slots=True)
class Plan:
    """How much is measured at one number of clients."""

    clients: int
    processes: int
    latency_rounds: int
    burst: int
    bursts: int
    settle: float

    @property
    def deliveries(self) -> int:
        """Frames one burst delivers in all."""
        return self.clients * self.burst


def plan_for(clients: int, *, quick: bool) -> Plan:
    """The plan at ``clients``: bursts of 50-200 updates, 200,000-500,000 deliveries each."""
    if clients < 1:
        raise ValueError(f"clients must be positive, got {clients}")
    burst = max(50, min(200, 500_000 // clients))
    if quick:
        burst = max(10, burst // 2)
    return Plan(
        clients=clients,
        processes=max(2, math.ceil(clients / PER_PROCESS)),
        latency_rounds=3 if quick else 5,
        burst=burst,
        bursts=1 if quick else 2,
        settle=0.5 if quick else 1.5,
    )


@dataclass(slots=True)
class ServerFigures:
    """What was measured of one server at one number of clients."""

    server: str
    clients: int
    connected: int = 0
    failed: int = 0
    connect_seconds: float = 0.0
    rss_before: int = 0
    rss_clients: int = 0
    #: Per client per probe: delivery (kernel receive timestamp) and read latencies, seconds.
    latencies: list[float] = field(default_factory=list)
    read_latencies: list[float] = field(default_factory=list)
    latency_missing: int = 0
    #: Per burst: deliveries per second, server CPU seconds per frame, busiest generator share.
    rates: list[float] = field(default_factory=list)
    read_rates: list[float] = field(default_factory=list)
    cpu_per_frame: list[float] = field(default_factory=list)
    #: Server CPU seconds per frame delivered for a probe (one update alone), per probe.
    probe_cpu_per_frame: list[float] = field(default_factory=list)
    generator_share: list[float] = field(default_factory=list)
    generator_cores: list[float] = field(default_factory=list)
    #: Per burst: the generators' CPU over the cores they may use, and the server's over its.
    generator_busy: list[float] = field(default_factory=list)
    server_busy: list[float] = field(default_factory=list)
    burst_missing: int = 0
    #: The server's event loop (``asyncio``, ``uvloop``).
    loop: str = "asyncio"
    #: CPU seconds used by other processes of the machine while this server was measured,
    #: and how long that was: what else ran on the cores the benchmark shares.
    foreign_cpu: float = 0.0
    measured_seconds: float = 0.0

    @property
    def foreign_load(self) -> float:
        """Cores other processes kept busy, on average, during the measurements."""
        return self.foreign_cpu / self.measured_seconds if self.measured_seconds else 0.0

    @property
    def rss_per_client(self) -> float:
        """Bytes of server RSS per connected client."""
        return (self.rss_clients - self.rss_before) / max(1, self.connected)

    def latency(self, quantile: float) -> float:
        """A latency quantile (seconds) over every client of every round."""
        return _quantile(self.latencies, quantile)

    @property
    def rate(self) -> float:
        """Deliveries per second: the best burst (the least disturbed by the rest of the box)."""
        return max(self.rates, default=0.0)

    @property
    def cpu(self) -> float:
        """Server CPU seconds per delivered frame: the least of the bursts."""
        return min(self.cpu_per_frame, default=0.0)

    @property
    def probe_cpu(self) -> float:
        """Server CPU seconds per frame of an update sent alone: the median probe."""
        return statistics.median(self.probe_cpu_per_frame) if self.probe_cpu_per_frame else 0.0


@dataclass(frozen=True, slots=True)
class Placement:
    """Which cores the server gets, and which the rest (generators, Redis, this process)."""

    server: frozenset[int]
    others: frozenset[int]

    @classmethod
    def split(cls) -> Placement | None:
        """The first usable core for the server, the others for the rest; None on one core."""
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2:
            return None
        return cls(server=frozenset(cores[:1]), others=frozenset(cores[1:]))

    def describe(self) -> str:
        """For the notes."""
        server = ",".join(str(core) for core in sorted(self.server))
        others = ",".join(str(core) for core in sorted(self.others))
        return f"server pinned to core {server}; generators, Redis and the runner to {others}"


def _pin(pid: int, cores: frozenset[int] | None) -> None:
    """Move process ``pid`` (its main thread, and so the threads it starts) to ``cores``."""
    if cores is not None:
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(pid, cores)


def _quantile(values: Sequence[float], quantile: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(quantile * len(ordered)) - 1))
    return ordered[index]


def _update(number: int, text: str) -> Update:
    return Update(
        uid=f"bench:{number}",
        at=datetime(2017, 1, 29, 20, 0, tzinfo=_PARIS) + timedelta(seconds=number),
        source="bench",
        kind=Kind.NEWS,
        text=f"{text} {_FILLER}",
        seen=datetime.now(UTC),
        round=2,
    )


class _Session:
    """One server at one number of clients: its process, its stream, its load generators."""

    def __init__(
        self,
        server: str,
        plan: Plan,
        redis_url: str,
        *,
        loop: str | None,
        mode: str,
        placement: Placement | None,
        wire: str = "ws",
    ) -> None:
        self.wire = wire
        self.mode = mode
        self.placement = placement
        self.server = server
        self.plan = plan
        self.redis_url = redis_url
        self.loop = loop
        self.stream = f"bench:fanout:{uuid4().hex}"
        self.figures = ServerFigures(server=server, clients=plan.clients)
        self.process: Child | None = None
        self.generators: list[Child] = []
        self.port = 0
        self._numbers = 0

    async def start_server(self) -> None:
        if self.server == SOIREE:
            command = soiree_command(
                "serve", "--port", "0", "--stream", self.stream,
                "--redis-url", self.redis_url,
            )  # fmt: skip
            env = None if self.loop is None else {EVENT_LOOP_ENV: self.loop}
            child = await Child.start(command, lines_from="stderr", env=env)
            self._pin_server(child)
            async with asyncio.timeout(_STARTUP_TIMEOUT):
                while (match := _SERVE_LINE.search(line := await child.line(60.0))) is None:
                    pass
            self.port = int(match[1])
            self.figures.loop = "uvloop" if "(on uvloop)" in line else "asyncio"
        else:
            command = python_command(
                "tests.benchmarks.bare_server",
                "--redis-url", self.redis_url, "--stream", self.stream,
                "--loop", self.loop or "asyncio", "--mode", self.mode,
            )  # fmt: skip
            child = await Child.start(command, lines_from="stdout")
            self._pin_server(child)
            self.port = int((await child.message(_STARTUP_TIMEOUT))["port"])
            self.figures.loop = self.loop or "asyncio"
        child.keep_draining()

    def _pin_server(self, child: Child) -> None:
        self.process = child
        # At once, before it starts any thread (its threads inherit its affinity).
        _pin(child.pid, None if self.placement is None else self.placement.server)

    async def connect_clients(self) -> None:
        plan = self.plan
        ready = "live" if self.server == SOIREE else "open"
        share, extra = divmod(plan.clients, plan.processes)
        started = time.monotonic()
        for index in range(plan.processes):
            count = share + (1 if index < extra else 0)
            command = python_command(
                "tests.benchmarks.load_client",
                "--port", str(self.port), "--count", str(count), "--ready", ready,
                "--source", f"127.0.0.{2 + index}", "--nice", str(GENERATOR_NICE),
                "--wire", self.wire, "--path", f"/{self.wire}?since=$",
            )  # fmt: skip
            generator = await Child.start(command)
            _pin(generator.pid, None if self.placement is None else self.placement.others)
            self.generators.append(generator)
        timeout = 60.0 + plan.clients / 100
        for generator in self.generators:
            said = await generator.message(timeout)
            self.figures.connected += int(said["connected"])
            self.figures.failed += int(said["failed"])
        self.figures.connect_seconds = time.monotonic() - started

    async def _arm(self, command: dict[str, object]) -> None:
        for generator in self.generators:
            await generator.send(command)
        for generator in self.generators:
            said = await generator.message(30.0)
            if said.get("event") != "armed":
                raise RuntimeError(f"load generator: expected armed, got {said}")

    async def _results(self, within: float) -> list[dict[str, object]]:
        return [await generator.message(within + 30.0) for generator in self.generators]

    async def probe(self, store: StreamStore, *, record: bool) -> None:
        timeout = 10.0 + self.plan.clients / 1000
        await self._arm({"cmd": "latency", "timeout": timeout})
        assert self.process is not None
        self._numbers += 1
        server_cpu = self.process.cpu()
        sent = time.time()
        await store.append(_update(self._numbers, f"probe t0={sent:.6f}"))
        results = await self._results(timeout)
        server_cpu = self.process.cpu() - server_cpu
        frames = 0
        for result in results:
            delivered, read = result["delivered"], result["read"]
            assert isinstance(delivered, list)
            assert isinstance(read, list)
            frames += len(delivered)
            if record:
                self.figures.latencies.extend(float(value) for value in delivered)
                self.figures.read_latencies.extend(float(value) for value in read)
                self.figures.latency_missing += int(str(result["missing"]))
        if record and frames:
            self.figures.probe_cpu_per_frame.append(server_cpu / frames)

    async def burst(self, store: StreamStore) -> None:
        plan = self.plan
        assert self.process is not None
        timeout = 30.0 + plan.deliveries / 20_000
        await self._arm({"cmd": "burst", "frames": plan.burst, "timeout": timeout})
        first = self._numbers + 1
        self._numbers += plan.burst
        server_cpu = self.process.cpu()
        generator_cpu = [generator.cpu() for generator in self.generators]
        started = time.time()
        updates = [
            _update(number, f"burst t0={started:.6f} #{number}")
            for number in range(first, first + plan.burst)
        ]
        await store.append_many(updates)
        results = await self._results(timeout)
        measured = time.time() - started
        server_cpu = self.process.cpu() - server_cpu
        shares = [
            (generator.cpu() - before) / measured
            for generator, before in zip(self.generators, generator_cpu, strict=True)
        ]
        delivered: list[float] = []
        read: list[float] = []
        frames = 0
        for result in results:
            times, read_times = result["delivered"], result["read"]
            assert isinstance(times, list)
            assert isinstance(read_times, list)
            delivered.extend(float(value) for value in times)
            read.extend(float(value) for value in read_times)
            frames += int(str(result["frames"]))
            self.figures.burst_missing += int(str(result["missing"]))
        if not delivered or not frames:
            raise RuntimeError(f"{self.server}: no client received the burst")
        elapsed = max(delivered) - started
        self.figures.rates.append(frames / elapsed)
        self.figures.read_rates.append(frames / (max(read) - started))
        self.figures.cpu_per_frame.append(server_cpu / frames)
        self.figures.generator_share.append(max(shares))
        self.figures.generator_cores.append(sum(shares))
        placement = self.placement
        generator_cores = len(placement.others) if placement else os.cpu_count() or 1
        server_cores = len(placement.server) if placement else 1
        self.figures.generator_busy.append(sum(shares) / generator_cores)
        self.figures.server_busy.append(server_cpu / elapsed / server_cores)

    async def stop(self) -> None:
        for generator in self.generators:
            with contextlib.suppress(OSError, ConnectionError):
                await generator.send({"cmd": "quit"})
        await asyncio.gather(*(generator.stop() for generator in self.generators))
        self.generators = []
        if self.process is not None:
            await self.process.stop()
            self.process = None


@contextlib.asynccontextmanager
async def _session(
    server: str,
    plan: Plan,
    redis_url: str,
    *,
    loop: str | None,
    mode: str,
    placement: Placement | None,
    wire: str = "ws",
) -> AsyncIterator[_Session]:
    session = _Session(
        server, plan, redis_url, loop=loop, mode=mode, placement=placement, wire=wire
    )
    try:
        yield session
    finally:
        await session.stop()


async def measure_server(
    server: str,
    plan: Plan,
    redis_url: str,
    *,
    loop: str | None = None,
    mode: str = "broadcast",
    placement: Placement | None = None,
    wire: str = "ws",
) -> ServerFigures:
    """Measure one server (:data:`SOIREE` or :data:`BASELINE_NAME`) with ``plan.clients``.

    ``loop`` is the server's event loop, ``asyncio`` or ``uvloop``; None: its default
    (asyncio for both; soiree serve's ``$SOIREE_EVENT_LOOP`` if set). ``mode`` is the
    baseline's (:mod:`tests.benchmarks.bare_server`): ``broadcast`` or ``frame-once``.
    With a ``placement``, the server runs on its cores, the generators and Redis on the others.
    ``wire``: the clients read ``/ws`` (``ws``) or ``/sse`` (``sse``, soiree serve only).
    """
    redis = await connect(redis_url)
    try:
        redis_pid = int((await redis.info("server"))["process_id"])
        _pin(redis_pid, None if placement is None else placement.others)
        async with _session(
            server, plan, redis_url, loop=loop, mode=mode, placement=placement, wire=wire
        ) as session:
            store = StreamStore(redis, session.stream)
            await session.start_server()
            assert session.process is not None
            await asyncio.sleep(plan.settle)
            session.figures.rss_before = session.process.rss()
            await session.connect_clients()
            await asyncio.sleep(plan.settle)
            session.figures.rss_clients = session.process.rss()
            pids = [session.process.pid, redis_pid, *(g.pid for g in session.generators)]
            ours = sum(cpu_seconds(pid) for pid in pids) + time.process_time()
            busy, started = machine_busy_seconds(), time.monotonic()
            await session.probe(store, record=False)
            for _round in range(plan.latency_rounds):
                await asyncio.sleep(0.1)
                await session.probe(store, record=True)
            for _burst in range(plan.bursts):
                await asyncio.sleep(0.2)
                await session.burst(store)
            ours = sum(cpu_seconds(pid) for pid in pids) + time.process_time() - ours
            figures = session.figures
            figures.measured_seconds = time.monotonic() - started
            figures.foreign_cpu = max(0.0, machine_busy_seconds() - busy - ours)
            return figures
    finally:
        await redis.aclose()


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def _context(
    plan: Plan, ours: ServerFigures, bare: ServerFigures, placement: Placement | None
) -> tuple[str, str]:
    """The notes' context for one size: (loops and trouble, generators and interference)."""
    loops = f"soiree on {ours.loop}, baseline on {bare.loop}"
    for figures in (ours, bare):
        missing = figures.latency_missing + figures.burst_missing
        if figures.failed or missing:
            loops += f"; {figures.server}: {figures.failed} connections failed, {missing} missing"
    setup = f"{plan.processes} generator processes at nice {GENERATOR_NICE}"
    if placement is not None:
        setup += f"; {placement.describe()}"
    foreign = max(ours.foreign_load, bare.foreign_load)
    if foreign >= 0.05:
        setup += f"; other processes kept {foreign:.2f} cores busy meanwhile"
    return loops, setup


def _rows(
    plan: Plan,
    ours: ServerFigures,
    bare: ServerFigures,
    baseline: str = BASELINE_NAME,
    placement: Placement | None = None,
) -> list[BenchRow]:
    """The table's rows for one number of clients, against the ``baseline`` measured."""
    n = f"{plan.clients:,}"
    loops, setup = _context(plan, ours, bare, placement)
    probes = f"{plan.latency_rounds} probes x {plan.clients:,} clients"
    p99 = ours.latency(0.99)
    rate_ratio = ours.rate / bare.rate if bare.rate else math.nan
    cpu_ratio = ours.cpu / bare.cpu if bare.cpu else math.nan
    kb = ours.rss_per_client / 1024
    busy = max(ours.generator_busy, default=math.nan)
    bare_busy = max(bare.generator_busy, default=math.nan)
    server_busy = max(ours.server_busy, default=math.nan)
    bare_server_busy = max(bare.server_busy, default=math.nan)
    read_p99 = _ms(_quantile(ours.read_latencies, 0.99))
    return [
        BenchRow(
            "fanout", f"{n} clients: p50 delivery", _ms(ours.latency(0.5)), "ms",
            _ms(bare.latency(0.5)), baseline, None, None,
            f"append at t0 -> kernel receive timestamp on each client socket; {probes}",
        ),
        BenchRow(
            "fanout", f"{n} clients: p99 delivery", _ms(p99), "ms",
            _ms(bare.latency(0.99)), baseline, "<= 150 ms", p99 <= 0.150,
            f"{probes}; p99 as the generators read it: {read_p99:.0f} ms; {loops}",
        ),
        BenchRow(
            "fanout", f"{n} clients: max delivery", _ms(ours.latency(1.0)), "ms",
            _ms(bare.latency(1.0)), baseline, None, None, probes,
        ),
        BenchRow(
            "fanout", f"{n} clients: sustained deliveries", ours.rate, "deliveries/s",
            bare.rate, baseline, ">= 1.5x baseline", rate_ratio >= 1.5,
            f"{plan.burst} updates appended at once to {n} clients, best of {plan.bursts};"
            f" the server's core was {server_busy:.0%} busy (baseline's: {bare_server_busy:.0%})",
        ),
        BenchRow(
            "fanout", f"{n} clients: load generators, busy share of their cores", busy * 100,
            "%", bare_busy * 100, baseline, None, None,
            f"during the bursts; {setup}. Deliveries are timed by the kernel (receive"
            f" timestamps), not by the generators' reads, and each client's burst"
            f" ({plan.burst} x ~380 B) fits its socket's receive buffer, so the server never"
            f" waits for them; they read {max(ours.read_rates, default=0):,.0f} deliveries/s",
        ),
        BenchRow(
            "memory", f"{n} idle clients: server RSS per subscriber", kb, "KB",
            bare.rss_per_client / 1024, baseline, "<= 30 KB", kb <= 30,
            f"VmRSS {plan.settle:g} s after {ours.connected:,} clients joined"
            f" (in {ours.connect_seconds:.1f} s) minus VmRSS before",
        ),
        BenchRow(
            "cpu", f"{n} clients: server CPU per delivered frame", ours.cpu * 1e6, "µs/frame",
            bare.cpu * 1e6, baseline, "<= 0.67x baseline", cpu_ratio <= 0.67,
            f"server process CPU (/proc) over a burst of {plan.burst} updates / frames"
            f" delivered, least of {plan.bursts}",
        ),
        BenchRow(
            "cpu", f"{n} clients: server CPU per frame, updates one at a time",
            ours.probe_cpu * 1e6, "µs/frame", bare.probe_cpu * 1e6, baseline, None, None,
            f"the latency probes (median of {plan.latency_rounds}): a lone update costs a"
            " write per client for both servers; only a batch shares a write",
        ),
    ]  # fmt: skip


def _sse_rows(plan: Plan, sse: ServerFigures, ws: ServerFigures) -> list[BenchRow]:
    """The rows of soiree serve's ``/sse`` clients, against its ``/ws`` clients (same run)."""
    n = f"{plan.clients:,}"
    probes = f"{plan.latency_rounds} probes x {plan.clients:,} clients"
    missing = sse.latency_missing + sse.burst_missing
    trouble = (
        f"; {sse.failed} connections failed, {missing} missing" if sse.failed or missing else ""
    )
    return [
        BenchRow(
            "fanout", f"{n} SSE clients: p50 delivery", _ms(sse.latency(0.5)), "ms",
            _ms(ws.latency(0.5)), SSE_BASELINE, None, None, f"/sse?since=$; {probes}{trouble}",
        ),
        BenchRow(
            "fanout", f"{n} SSE clients: p99 delivery", _ms(sse.latency(0.99)), "ms",
            _ms(ws.latency(0.99)), SSE_BASELINE, None, None, f"{probes}{trouble}",
        ),
        BenchRow(
            "fanout", f"{n} SSE clients: sustained deliveries", sse.rate, "deliveries/s",
            ws.rate, SSE_BASELINE, None, None,
            f"{plan.burst} updates appended at once to {n} event streams, best of {plan.bursts}",
        ),
        BenchRow(
            "cpu", f"{n} SSE clients: server CPU per delivered event", sse.cpu * 1e6,
            "µs/frame", ws.cpu * 1e6, SSE_BASELINE, None, None,
            "server process CPU over a burst / events delivered, least of the bursts",
        ),
        BenchRow(
            "memory", f"{n} idle SSE clients: server RSS per subscriber",
            sse.rss_per_client / 1024, "KB", ws.rss_per_client / 1024, SSE_BASELINE, None, None,
            f"VmRSS after {sse.connected:,} event streams joined minus VmRSS before",
        ),
    ]  # fmt: skip


async def run_fanout_benchmarks(
    *,
    sizes: Sequence[int],
    quick: bool,
    progress: Callable[[str], None] | None = None,
    soiree_loop: str | None = None,
    baseline_loop: str | None = None,
    baseline_mode: str = "broadcast",
    sse: bool = True,
    restart: bool = True,
) -> list[BenchRow]:
    """Measure soiree serve and the bare broadcast loop at each size; the rows of the table.

    ``sizes`` are numbers of websocket subscribers (``DEFAULT_SIZES``: 1,000, 5,000 and
    10,000); ``quick`` measures fewer rounds and smaller bursts. ``progress`` is told what is
    being measured. For experiments: ``soiree_loop`` and ``baseline_loop`` choose the servers'
    event loops (``asyncio``, ``uvloop``; None: their default, asyncio), and ``baseline_mode``
    the baseline's way of writing (``broadcast``, or ``frame-once``: framed once, one write
    per message per client). ``sse`` also measures soiree serve with ``/sse`` clients, the same
    way, against its websocket clients of the same run. ``restart`` also measures a restart on
    a 100,000-entry stream (20,000 when ``quick``: :mod:`tests.benchmarks.restart`).
    """
    say = progress or logger.info
    raise_open_files_limit()
    placement = Placement.split()
    mine = os.sched_getaffinity(0)
    rows: list[BenchRow] = []
    try:
        if placement is not None:
            os.sched_setaffinity(0, placement.others)
        async with bench_redis(persistence=False) as redis:
            for clients in sizes:
                plan = plan_for(clients, quick=quick)
                say(f"fan-out: {clients:,} clients, {BASELINE_NAME}")
                bare = await measure_server(
                    BASELINE_NAME,
                    plan,
                    redis.url,
                    loop=baseline_loop,
                    mode=baseline_mode,
                    placement=placement,
                )
                say(f"fan-out: {clients:,} clients, {SOIREE}")
                ours = await measure_server(
                    SOIREE, plan, redis.url, loop=soiree_loop, placement=placement
                )
                baseline = BASELINE_NAME if baseline_mode == "broadcast" else FRAME_ONCE_NAME
                rows.extend(_rows(plan, ours, bare, baseline, placement))
                if sse:
                    say(f"fan-out: {clients:,} clients, {SOIREE} /sse")
                    events = await measure_server(
                        SOIREE, plan, redis.url, loop=soiree_loop, placement=placement, wire="sse"
                    )
                    rows.extend(_sse_rows(plan, events, ours))
    finally:
        os.sched_setaffinity(0, mine)
    if restart:
        say("restart: soiree serve on a large stream")
        rows.extend(await run_restart_benchmarks(quick=quick))
    return rows


def _summary(rows: Sequence[BenchRow]) -> str:
    lines = []
    for row in rows:
        ratio = "" if row.ratio is None else f"  ({row.ratio:.2f}x)"
        baseline = "" if row.baseline is None else f"  baseline {row.baseline:,.2f}"
        met = "" if row.met is None else ("  met" if row.met else "  NOT MET")
        lines.append(
            f"{row.group:8} {row.name:52} {row.value:12,.2f} {row.unit:13}{baseline}{ratio}{met}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.benchmarks.fanout``: the fan-out benchmarks alone, as a table."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.fanout")
    parser.add_argument("--sizes", default=",".join(str(size) for size in DEFAULT_SIZES))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", metavar="PATH", help="also write the rows there, as JSON")
    parser.add_argument("--soiree-loop", choices=("asyncio", "uvloop"))
    parser.add_argument("--baseline-loop", choices=("asyncio", "uvloop"))
    parser.add_argument("--baseline-mode", choices=("broadcast", "frame-once"), default="broadcast")
    args = parser.parse_args(argv)
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.monotonic()
    rows = asyncio.run(
        run_fanout_benchmarks(
            sizes=sizes,
            quick=args.quick,
            progress=say,
            soiree_loop=args.soiree_loop,
            baseline_loop=args.baseline_loop,
            baseline_mode=args.baseline_mode,
        )
    )
    print(_summary(rows))
    if args.json:
        document = rows_to_json(rows, machine=machine_info())
        Path(args.json).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    for row in rows:
        if row.note:
            print(f"  {row.name}: {row.note}", file=sys.stderr)
    say(f"fan-out benchmarks: {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
