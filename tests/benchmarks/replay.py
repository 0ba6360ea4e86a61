"""Replay timing: lateness at speeds 1, 60 and 600, drift over the whole night, ``--speed max``.

The target (docs/design.md): p99 lateness <= 2 ms at speeds 1 to 600, and no drift over the whole
night. Everything runs the real :func:`replay.runner.replay_into_stream` (anchored clock, appends,
the control task, the published clock) into a real Redis; lateness is what the runner itself
records (due time -> the moment the batch goes to the stream), and each row's note adds the
lateness *on the stream* (due time -> the append acknowledged by Redis).

Baseline, measured on the same schedule in the same run: a naive scheduler that chains
``await asyncio.sleep(gap)`` between one update and the next, so that every oversleep and every
append's duration carries into all later updates.

Schedules:

- **lateness at speeds 1, 60, 600**: the night's real gaps are minutes apart, so a p99 needs
  either an hour of wall time or denser updates. Each speed gets a synthetic schedule of the
  night's updates (cycled) whose *wall* gaps are drawn between 5 and 40 ms (a tenth of them 0:
  updates due together, as at 20h41), the virtual gaps being those times the speed. The clock
  only ever sees wall offsets (virtual / speed), so this measures what it would at that speed.
- **the speeches** (20h52 -> 21h09, the night's real timeline) at speed 600: 12 updates
  (20h53 to 21h09; 20h52 is the starting state).
- **drift**: the whole night (from 07h23 to the next morning) at speed 3000 with
  ``--max-gap 15min``: 60 updates in about 7 s; the lateness of the last update against the
  first. Anchored, it stays flat; chained, it accumulates.
- ``--speed max``: the whole night, and a synthetic night of 10,000 updates, beside a bare
  ``append_many`` of the same updates (the replay's own overhead).
"""

from __future__ import annotations

import asyncio
import gc
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from redis.asyncio import Redis

from ingest.model.update import Update
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from replay.clock import AnchoredClock, Lateness, ReplayPlan, ReplayWindow, plan_replay
from replay.runner import replay_into_stream
from replay.timeline import with_default_start
from tests.benchmarks.corpus import night_fixture, synthetic_night, the_night
from tests.benchmarks.redis_server import bench_redis
from tests.benchmarks.table import BenchRow

__all__ = [
    "FULL",
    "QUICK",
    "ReplaySizes",
    "ReplayTiming",
    "dense_schedule",
    "naive_replay",
    "run_replay_benchmarks",
    "timed_replay",
]

TARGET_P99_MS: Final = 2.0
_TARGET: Final = "p99 <= 2 ms"
_DRIFT_TARGET: Final = "no drift: <= 2 ms"


@dataclass(frozen=True, slots=True)
class ReplaySizes:
    """How much each replay run does.

    ``dense`` updates per speed, wall gaps drawn in [``low``, ``high``] seconds; the drift run
    plays the whole night at ``drift_speed`` with ``--max-gap drift_gap``; ``synthetic``
    updates in the ``--speed max`` scaling run; the speeches play at ``speeches_speed``.
    """

    dense: int
    low: float
    high: float
    drift_speed: float
    drift_gap: timedelta
    synthetic: int
    speeches_speed: float = 600.0


FULL: Final = ReplaySizes(
    dense=200,
    low=0.005,
    high=0.040,
    drift_speed=3000.0,
    drift_gap=timedelta(minutes=15),
    synthetic=10_000,
)
QUICK: Final = ReplaySizes(
    dense=20,
    low=0.005,
    high=0.020,
    drift_speed=3000.0,
    drift_gap=timedelta(minutes=2),
    synthetic=1_000,
)


@dataclass(slots=True)
class ReplayTiming:
    """Lateness of one replay: as the runner records it, and on the stream (acknowledged)."""

    lateness: Lateness = field(default_factory=Lateness)
    on_stream: Lateness = field(default_factory=Lateness)
    seconds: float = 0.0

    def ms(self, fraction: float | None = None, *, on_stream: bool = False) -> float:
        """A percentile (or, with None, the max) in milliseconds."""
        late = self.on_stream if on_stream else self.lateness
        value = late.worst if fraction is None else late.percentile(fraction)
        return value * 1000

    @property
    def last_ms(self) -> float:
        """The last update's lateness, in milliseconds."""
        return self.lateness.samples[-1] * 1000 if self.lateness.samples else 0.0


def dense_schedule(
    count: int, *, speed: float, low: float, high: float, ties: float = 0.1, seed: int = 6
) -> tuple[list[Update], ReplayPlan]:
    """``count`` updates whose wall gaps at ``speed`` are drawn in [low, high] s (some 0)."""
    draw = random.Random(seed)
    updates = synthetic_night(count, spacing=timedelta(0), tag=f"dense{seed}")
    virtual = 0.0
    spaced: list[Update] = []
    start = updates[0].at
    for index, update in enumerate(updates):
        if index and draw.random() >= ties:
            virtual += draw.uniform(low, high) * speed
        spaced.append(replace(update, at=start + timedelta(seconds=virtual)))
    return spaced, plan_replay([update.at for update in spaced], ReplayWindow(speed=speed))


async def timed_replay(
    store: StreamStore, updates: Sequence[Update], plan: ReplayPlan, *, speed: float
) -> ReplayTiming:
    """Run the real replay; record the runner's lateness and the on-stream lateness."""
    timing = ReplayTiming()
    clock = AnchoredClock()
    offsets = plan.offsets

    def acknowledged(done: int, _update: Update) -> None:
        timing.on_stream.add(clock.elapsed() - offsets[done - 1])

    gc.collect()
    started = time.perf_counter()
    report = await replay_into_stream(
        store, updates, plan, clock=clock, progress=acknowledged, speed=speed
    )
    timing.seconds = time.perf_counter() - started
    timing.lateness = report.lateness
    return timing


async def naive_replay(
    store: StreamStore, updates: Sequence[Update], plan: ReplayPlan
) -> ReplayTiming:
    """Baseline: sleep each gap after the last append (errors accumulate), then append."""
    timing = ReplayTiming()
    batches: list[tuple[float, list[int]]] = []
    for index, offset in zip(plan.order, plan.offsets, strict=True):
        if batches and batches[-1][0] == offset:
            batches[-1][1].append(index)
        else:
            batches.append((offset, [index]))
    gc.collect()
    started = time.monotonic()
    previous = 0.0
    for offset, indices in batches:
        await asyncio.sleep(offset - previous)
        previous = offset
        late = time.monotonic() - started - offset
        seen = datetime.now(UTC)
        await store.append_many([replace(updates[index], seen=seen) for index in indices])
        acknowledged = time.monotonic() - started - offset
        for _ in indices:
            timing.lateness.add(late)
            timing.on_stream.add(acknowledged)
    timing.seconds = time.monotonic() - started
    return timing


def _lateness_rows(
    label: str, ours: ReplayTiming, naive: ReplayTiming, note: str
) -> list[BenchRow]:
    rows: list[BenchRow] = []
    for name, fraction in (("p50", 0.5), ("p99", 0.99), ("max", None)):
        value = ours.ms(fraction)
        rows.append(
            BenchRow(
                group="replay",
                name=f"lateness {name}, {label}",
                value=value,
                unit="ms",
                baseline=naive.ms(fraction),
                baseline_name="chained asyncio.sleep",
                target=_TARGET if name == "p99" else None,
                met=value <= TARGET_P99_MS if name == "p99" else None,
                note=(
                    f"{note}; on the stream (append acknowledged) "
                    f"{ours.ms(fraction, on_stream=True):.2f} ms"
                ),
            )
        )
    return rows


def _speeches(speed: float) -> tuple[list[Update], ReplayPlan]:
    fixture = night_fixture()
    night = fixture.night
    window = ReplayWindow(
        speed=speed,
        start=night.instant(datetime.strptime("20:52", "%H:%M").time()),  # noqa: DTZ007
        end=night.instant(datetime.strptime("21:09", "%H:%M").time()),  # noqa: DTZ007
    )
    updates = the_night()
    plan = plan_replay([update.at for update in updates], window)
    # The updates before 20h52 are due at once (the state when the replay starts): not timed.
    keep = [index for index, offset in zip(plan.order, plan.offsets, strict=True) if offset > 0]
    chosen = [updates[index] for index in keep]
    return chosen, plan_replay([update.at for update in chosen], window)


def _whole_night(speed: float, max_gap: timedelta | None) -> tuple[list[Update], ReplayPlan]:
    updates = the_night()
    window = with_default_start(ReplayWindow(speed=speed, max_gap=max_gap), night_fixture())
    return updates, plan_replay([update.at for update in updates], window)


class _Streams:
    """A fresh stream per run (a replay run gets its own stream, as ``soiree replay`` does)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._count = 0

    def store(self) -> StreamStore:
        self._count += 1
        return StreamStore(self._redis, f"bench:replay:{self._count}", maxlen=1_000_000)


async def _lateness(streams: _Streams, sizes: ReplaySizes) -> list[BenchRow]:
    rows: list[BenchRow] = []
    count, low, high = sizes.dense, sizes.low, sizes.high
    for seed, speed in enumerate((1.0, 60.0, 600.0), start=1):
        updates, plan = dense_schedule(count, speed=speed, low=low, high=high, seed=seed)
        ours = await timed_replay(streams.store(), updates, plan, speed=speed)
        naive = await naive_replay(streams.store(), updates, plan)
        note = (
            f"synthetic: {count} updates, wall gaps {low * 1000:g}-{high * 1000:g} ms "
            f"(virtual x{speed:g}), 10% due together"
        )
        rows.extend(_lateness_rows(f"speed {speed:g}", ours, naive, note))
    speed = sizes.speeches_speed
    updates, plan = _speeches(speed)
    ours = await timed_replay(streams.store(), updates, plan, speed=speed)
    naive = await naive_replay(streams.store(), updates, plan)
    rows.extend(
        _lateness_rows(
            f"speed {speed:g}, the speeches",
            ours,
            naive,
            f"the night's 20h52-21h09: {len(updates)} updates (p99 of so few is the max)",
        )[1:2]
    )
    return rows


async def _drift(streams: _Streams, sizes: ReplaySizes) -> list[BenchRow]:
    speed, gap = sizes.drift_speed, sizes.drift_gap
    updates, plan = _whole_night(speed, gap)
    ours = await timed_replay(streams.store(), updates, plan, speed=speed)
    naive = await naive_replay(streams.store(), updates, plan)
    first = ours.lateness.samples[0] * 1000 if ours.lateness.samples else 0.0
    minutes = int(gap.total_seconds() // 60)
    return [
        BenchRow(
            group="replay",
            name="drift: lateness of the night's last update",
            value=ours.last_ms,
            unit="ms",
            baseline=naive.last_ms,
            baseline_name="chained asyncio.sleep",
            target=_DRIFT_TARGET,
            met=ours.last_ms <= TARGET_P99_MS,
            note=(
                f"whole night, speed {speed:g}, --max-gap {minutes}min: {len(updates)} updates "
                f"in {ours.seconds:.1f} s; first {first:.2f} ms, max {ours.ms(None):.2f} ms"
            ),
        )
    ]


async def _speed_max(streams: _Streams, sizes: ReplaySizes) -> list[BenchRow]:
    rows: list[BenchRow] = []
    synthetic = sizes.synthetic
    cases = [
        ("the whole night", the_night()),
        ("a synthetic night", synthetic_night(synthetic, spacing=timedelta(0))),
    ]
    for label, updates in cases:
        plan = plan_replay([update.at for update in updates], ReplayWindow(speed=math.inf))
        ours = await timed_replay(streams.store(), updates, plan, speed=math.inf)
        # The bare appends, on a stream of their own: what the replay adds is the rest.
        bare_store = streams.store()
        seen = datetime.now(UTC)
        fresh = [replace(update, seen=seen) for update in updates]
        gc.collect()
        started = time.perf_counter()
        await bare_store.append_many(fresh)
        bare = time.perf_counter() - started
        rows.append(
            BenchRow(
                group="replay",
                name=f"--speed max, {label} ({len(updates):,} updates)",
                value=ours.seconds * 1000,
                unit="ms",
                baseline=bare * 1000,
                baseline_name="append_many alone",
                target=None,
                met=None,
                note=f"{len(updates) / ours.seconds:,.0f} updates/s",
            )
        )
    return rows


async def run_replay_benchmarks(*, quick: bool, sizes: ReplaySizes | None = None) -> list[BenchRow]:
    """Every replay figure (see the module docstring).

    ``quick`` runs :data:`QUICK` sizes (a few seconds) instead of :data:`FULL`; ``sizes``
    overrides both (the smoke test runs tiny ones).
    """
    chosen = sizes or (QUICK if quick else FULL)
    async with bench_redis(persistence=False) as server:
        redis = await connect(server.url, client_name="soiree-bench")
        try:
            streams = _Streams(redis)
            # Warm up: the script loaded, the connection open.
            updates, plan = dense_schedule(5, speed=60.0, low=0.001, high=0.002, seed=99)
            await timed_replay(streams.store(), updates, plan, speed=60.0)
            rows = await _lateness(streams, chosen)
            rows.extend(await _drift(streams, chosen))
            rows.extend(await _speed_max(streams, chosen))
        finally:
            await redis.aclose()
    return rows


def main() -> None:  # pragma: no cover - a developer's shortcut: python -m tests.benchmarks.replay
    """Run the replay benchmarks alone and print their table."""
    import sys  # noqa: PLC0415

    from rich.console import Console  # noqa: PLC0415

    from tests.benchmarks.table import render_table  # noqa: PLC0415

    rows = asyncio.run(run_replay_benchmarks(quick="--quick" in sys.argv))
    Console(width=200).print(render_table(rows))


if __name__ == "__main__":  # pragma: no cover
    main()
