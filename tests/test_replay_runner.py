"""Tests for replay.runner: the replay straight into a real stream, with pause and resume."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta

from ingest.model.update import Update
from ingest.store.keys import replay_clock_key, replay_control_key
from ingest.store.stream_store import StreamStore
from replay.clock import ReplayPlan, ReplayWindow, plan_replay
from replay.fixtures import find_night
from replay.runner import replay_into_stream
from replay.timeline import night_updates, with_default_start
from tests.conftest import TIMEOUT_FACTOR

FIXTURE = find_night()
UPDATES = night_updates(FIXTURE, seen=datetime.now(UTC))


def plan_for(speed: float, *, start: str, end: str) -> tuple[list[Update], ReplayPlan]:
    """The night's updates and a plan over a window of it."""
    night = FIXTURE.night
    window = with_default_start(
        ReplayWindow(
            speed=speed,
            start=night.instant(datetime.strptime(start, "%H:%M").time()),  # noqa: DTZ007
            end=night.instant(datetime.strptime(end, "%H:%M").time()),  # noqa: DTZ007
        ),
        FIXTURE,
    )
    return UPDATES, plan_replay([update.at for update in UPDATES], window)


async def test_speed_max_appends_the_whole_night_once(store: StreamStore) -> None:
    """At speed max every update goes in once; a second run appends nothing."""
    window = with_default_start(ReplayWindow(speed=math.inf), FIXTURE)
    plan = plan_replay([update.at for update in UPDATES], window)
    first = await replay_into_stream(store, UPDATES, plan, speed=math.inf)
    second = await replay_into_stream(store, UPDATES, plan, speed=math.inf)
    assert first.appended == len(UPDATES)
    assert second.appended == 0
    assert second.duplicates == len(UPDATES)
    assert await store.length() == len(UPDATES)


async def test_stop_ends_between_batches(store: StreamStore) -> None:
    """Setting stop ends a slow replay cleanly, with what was appended reported."""
    updates, plan = plan_for(60.0, start="20:40", end="21:10")
    stop = asyncio.Event()
    task = asyncio.create_task(replay_into_stream(store, updates, plan, stop=stop, speed=60.0))
    await asyncio.sleep(0.3)
    stop.set()
    report = await asyncio.wait_for(task, 5 * TIMEOUT_FACTOR)
    assert report.stopped
    assert 0 < report.appended < len(plan.order)
    assert await store.length() == report.appended


async def test_pause_and_resume_through_the_control_key(store: StreamStore) -> None:
    """`pause` in the control key stops the appends and marks the clock paused; `resume` goes on."""
    updates, plan = plan_for(600.0, start="20:50", end="21:10")
    task = asyncio.create_task(replay_into_stream(store, updates, plan, speed=600.0))
    await asyncio.sleep(0.2)
    await store.redis.set(replay_control_key(store.stream), "pause")
    for _ in range(50):
        if await store.redis.hget(replay_clock_key(store.stream), "paused") == "1":
            break
        await asyncio.sleep(0.05)
    assert await store.redis.hget(replay_clock_key(store.stream), "paused") == "1"
    paused_length = await store.length()
    await asyncio.sleep(0.6)
    assert await store.length() == paused_length
    assert not task.done()
    await store.redis.set(replay_control_key(store.stream), "resume")
    report = await asyncio.wait_for(task, 10 * TIMEOUT_FACTOR)
    assert report.appended == len(plan.order)
    assert await store.redis.hget(replay_clock_key(store.stream), "paused") == "0"


async def test_loop_appends_the_night_again(store: StreamStore) -> None:
    """With loop, each pass appends the night anew after the last one."""
    updates, plan = plan_for(math.inf, start="20:50", end="20:56")
    stop = asyncio.Event()
    task = asyncio.create_task(
        replay_into_stream(store, updates, plan, stop=stop, loop=True, speed=math.inf)
    )
    for _ in range(100):
        if await store.length() >= 3 * len(plan.order):
            break
        await asyncio.sleep(0.02)
    stop.set()
    report = await asyncio.wait_for(task, 5 * TIMEOUT_FACTOR)
    assert report.passes >= 3
    assert report.duplicates == 0


def test_plan_virtual_time_is_paris_time() -> None:
    """The plan's virtual time, which the clock hash publishes, carries the Paris offset."""
    _, plan = plan_for(60.0, start="20:40", end="21:10")
    virtual = plan.virtual_time(0.0)
    assert virtual is not None
    assert virtual.utcoffset() == timedelta(hours=1)
