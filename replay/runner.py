"""The replay straight into the stream: appends each update of a plan when its time comes.

A thin shell: the plan (:mod:`replay.clock`) says when, the stream store appends, and this
module only waits, stamps ``seen``, appends, and measures how late each append went out.
Updates due at the same moment (the catch-up before ``--from``, or everything at ``--speed
max``) are appended in one pipelined batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ingest.model.update import Update
from ingest.runtime.aio import wait_or_stop
from ingest.store.keys import replay_clock_key, replay_control_key
from ingest.store.stream_store import StreamStore
from replay.clock import AnchoredClock, Lateness, ReplayPlan

__all__ = ["ReplayReport", "publish_clock", "replay_into_stream"]

ProgressCallback = Callable[[int, Update], None]

# How often the replay reads its control key (the ticker's pause / resume).
CONTROL_POLL_SECONDS = 0.25


@dataclass(slots=True)
class ReplayReport:
    """What a replay did: appended, found already there, how late, and whether it was stopped."""

    appended: int = 0
    duplicates: int = 0
    passes: int = 0
    stopped: bool = False
    lateness: Lateness = field(default_factory=Lateness)


def _batches(plan: ReplayPlan) -> list[tuple[float, list[int]]]:
    """Group the plan's events by due offset, keeping their order."""
    batches: list[tuple[float, list[int]]] = []
    for index, offset in zip(plan.order, plan.offsets, strict=True):
        if batches and batches[-1][0] == offset:
            batches[-1][1].append(index)
        else:
            batches.append((offset, [index]))
    return batches


async def replay_into_stream(
    store: StreamStore,
    updates: Sequence[Update],
    plan: ReplayPlan,
    *,
    clock: AnchoredClock | None = None,
    stop: asyncio.Event | None = None,
    progress: ProgressCallback | None = None,
    loop: bool = False,
    speed: float = 1.0,
) -> ReplayReport:
    """Append ``updates`` to ``store`` on the plan's timeline; return the report.

    With ``loop``, the night starts again after its last update, each pass appending the
    night anew (the stream's dedupe state is reset between passes). ``stop`` ends the replay
    cleanly between two batches. The ticker pauses and resumes the replay through
    :func:`ingest.store.keys.replay_control_key` (see :func:`obey_control`).
    """
    clock = clock or AnchoredClock()
    stop = stop or asyncio.Event()
    await store.redis.delete(replay_control_key(store.stream))
    control = asyncio.create_task(obey_control(store, clock, plan, speed=speed))
    try:
        return await _replay(
            store, updates, plan, clock=clock, stop=stop, progress=progress, loop=loop, speed=speed
        )
    finally:
        control.cancel()


async def _replay(
    store: StreamStore,
    updates: Sequence[Update],
    plan: ReplayPlan,
    *,
    clock: AnchoredClock,
    stop: asyncio.Event,
    progress: ProgressCallback | None,
    loop: bool,
    speed: float,
) -> ReplayReport:
    report = ReplayReport()
    batches = _batches(plan)
    done = 0
    while True:
        report.passes += 1
        clock.reset()
        for offset, indices in batches:
            if await _wait_or_stop(clock, offset, stop):
                report.stopped = True
                return report
            lateness = clock.elapsed() - offset
            seen = datetime.now(UTC)
            batch = [replace(updates[index], seen=seen) for index in indices]
            outcomes = await store.append_many(batch)
            for update, outcome in zip(batch, outcomes, strict=True):
                report.lateness.add(lateness)
                if outcome.appended:
                    report.appended += 1
                else:
                    report.duplicates += 1
                done += 1
                if progress is not None:
                    progress(done, update)
            await publish_clock(store, batch[-1].at, speed=speed, paused=clock.paused)
        if not loop or stop.is_set():
            if not stop.is_set() and batches:
                await publish_clock(
                    store, updates[batches[-1][1][-1]].at, speed=speed, paused=False, finished=True
                )
            return report
        await store.reset_dedupe()


async def obey_control(
    store: StreamStore,
    clock: AnchoredClock,
    plan: ReplayPlan,
    *,
    speed: float,
    every: float = CONTROL_POLL_SECONDS,
) -> None:
    """Pause or resume ``clock`` as the control key asks (``"pause"`` / ``"resume"``).

    The key holds the state wanted (written by the ticker's ``p``); on each change the clock
    hash is rewritten at once, so the ticker sees the new state without waiting for an append,
    and once a second anyway, so that the ticker's clock runs between sparse appends.
    """
    key = replay_control_key(store.stream)
    published = 0.0
    while True:
        wanted = await store.redis.get(key)
        changed = True
        if wanted == "pause" and not clock.paused:
            clock.pause()
        elif wanted == "resume" and clock.paused:
            clock.resume()
        else:
            changed = False
        virtual = plan.virtual_time(clock.elapsed())
        if virtual is not None and (changed or time.monotonic() - published >= 1.0):
            await publish_clock(store, virtual, speed=speed, paused=clock.paused)
            published = time.monotonic()
        await asyncio.sleep(every)


async def _wait_or_stop(clock: AnchoredClock, offset: float, stop: asyncio.Event) -> bool:
    """Wait for ``offset``; return True if ``stop`` was set first."""
    return await wait_or_stop(clock.wait_for(offset), stop)


async def publish_clock(
    store: StreamStore, virtual: datetime, *, speed: float, paused: bool, finished: bool = False
) -> None:
    """Leave the replay's virtual time where the ticker can show it (the hash
    :func:`ingest.store.keys.replay_clock_key`, read by :mod:`ticker.wire.replay_clock`).

    The one writer of that hash: the replay and the demo's emulated sources both call it.
    """
    await store.redis.hset(
        replay_clock_key(store.stream),
        mapping={
            "virtual": virtual.isoformat(),
            "wall": f"{time.time():.6f}",
            "speed": "max" if speed == float("inf") else f"{speed:g}",
            "paused": "1" if paused else "0",
            "finished": "1" if finished else "0",
        },
    )
