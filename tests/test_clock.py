"""Tests for replay.clock: the replay plan and the anchored clock."""

from __future__ import annotations

import asyncio
import math
from datetime import datetime, timedelta, timezone

import pytest

from replay.clock import (
    AnchoredClock,
    ClockError,
    Lateness,
    ReplayWindow,
    parse_speed,
    plan_replay,
)
from tests.conftest import TIMEOUT_FACTOR

PARIS = timezone(timedelta(hours=1))


def at(hour: int, minute: int) -> datetime:
    """An instant on the night."""
    return datetime(2017, 1, 29, hour, minute, tzinfo=PARIS)


def test_offsets_follow_speed() -> None:
    """At speed 60 a minute of the night takes a second."""
    plan = plan_replay([at(20, 0), at(20, 1), at(20, 3)], ReplayWindow(speed=60))
    assert plan.offsets == (0.0, 1.0, 3.0)


def test_events_are_ordered_by_time_and_ties_keep_input_order() -> None:
    """The plan orders by instant; equal instants keep their input order."""
    plan = plan_replay([at(21, 1), at(20, 0), at(21, 1)], ReplayWindow(speed=60))
    assert plan.order == (1, 0, 2)


def test_max_gap_caps_idle_time() -> None:
    """A long gap (13h05 -> 17h59) is cut down to --max-gap."""
    plan = plan_replay(
        [at(13, 5), at(17, 59), at(18, 1)],
        ReplayWindow(speed=1, max_gap=timedelta(minutes=5)),
    )
    assert plan.offsets == (0.0, 300.0, 420.0)


def test_from_catches_up_and_to_cuts() -> None:
    """Events before --from are due at once; events after --to are left out."""
    window = ReplayWindow(speed=60, start=at(20, 0), end=at(21, 0))
    plan = plan_replay([at(12, 0), at(20, 30), at(21, 15), at(19, 0)], window)
    assert plan.order == (0, 3, 1)
    assert plan.offsets == (0.0, 0.0, 30.0)


def test_speed_max_is_all_at_once() -> None:
    """--speed max puts every event at offset 0."""
    plan = plan_replay([at(8, 0), at(21, 0)], ReplayWindow(speed=math.inf))
    assert plan.offsets == (0.0, 0.0)


def test_virtual_time_interpolates_between_points() -> None:
    """Between two events the virtual clock moves linearly."""
    plan = plan_replay([at(20, 0), at(20, 10)], ReplayWindow(speed=60))
    assert plan.virtual_time(5.0) == at(20, 5)
    assert plan.virtual_time(100.0) == at(20, 10)


@pytest.mark.parametrize("raw", ["0", "-1", "fast", "nan", "inf"])
def test_bad_speed_is_refused(raw: str) -> None:
    """Speeds that are not positive numbers or 'max' are refused clearly."""
    with pytest.raises(ClockError, match="--speed"):
        parse_speed(raw)


def test_speed_max_parses() -> None:
    """'max' and 'MAX' parse to infinity."""
    assert parse_speed("MAX") == math.inf
    assert parse_speed("600") == 600


def test_window_refuses_to_before_from() -> None:
    """--to before --from is an error."""
    with pytest.raises(ClockError, match="--to"):
        ReplayWindow(start=at(21, 0), end=at(20, 0))


def test_lateness_percentiles() -> None:
    """p50, p99 and max over recorded samples; negatives count as on time."""
    lateness = Lateness()
    for value in [*range(100), -5]:
        lateness.add(value / 1000)
    assert lateness.worst == 0.099
    assert lateness.p99 == 0.098
    assert lateness.samples.count(0.0) == 2


class FakeTime:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_anchor_does_not_accumulate_error() -> None:
    """A late wait does not delay the next due time: it is measured from the anchor."""
    fake = FakeTime()
    clock = AnchoredClock(now=fake)
    fake.now += 5.0  # the process was busy for 5 s
    assert await clock.wait_for(2.0) == pytest.approx(3.0)
    assert await clock.wait_for(4.0) == pytest.approx(1.0)


async def test_pause_moves_the_anchor() -> None:
    """Time spent paused does not count: due times shift by the pause."""
    fake = FakeTime()
    clock = AnchoredClock(now=fake)
    fake.now += 1.0
    clock.pause()
    fake.now += 10.0
    assert clock.elapsed() == pytest.approx(1.0)
    waiter = asyncio.create_task(clock.wait_for(1.0))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    clock.resume()
    assert await waiter == pytest.approx(0.0)


async def test_wait_for_really_waits() -> None:
    """On the real clock, a wait ends at its due time (not before), and says how late it is."""
    clock = AnchoredClock()
    lateness = await clock.wait_for(0.05)
    elapsed = clock.elapsed()
    assert elapsed >= 0.05
    assert 0 <= lateness <= elapsed - 0.05  # measured when the wait ended, just before
    # Not a whole sleep step (0.5 s) late: lateness itself is measured by `soiree bench`.
    assert lateness < 0.5 * TIMEOUT_FACTOR
