"""Tests for replay.emulated.schedule: which version of each document shows when."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from replay.clock import ClockError, ReplayWindow
from replay.commands.clock_options import parse_night_time
from replay.emulated.documents import Document
from replay.emulated.schedule import SourcesSchedule
from replay.fixtures import find_night
from replay.night_fixture import NightFixture


@pytest.fixture(scope="module")
def night() -> NightFixture:
    """The bundled night of 29 January 2017."""
    return find_night("2017-01-29")


def when(night: NightFixture, raw: str) -> datetime:
    """A Paris time on the night."""
    return parse_night_time(raw, night.night)


def window(
    night: NightFixture,
    *,
    speed: float = 60,
    start: str | None = "20:40",
    end: str | None = None,
    max_gap: timedelta | None = None,
) -> ReplayWindow:
    """A replay window on the night (speed 60: a minute of the night per second)."""
    return ReplayWindow(
        speed=speed,
        start=None if start is None else when(night, start),
        end=None if end is None else when(night, end),
        max_gap=max_gap,
    )


def test_items_before_from_make_one_first_step(night: NightFixture) -> None:
    """Everything published before --from is one version, shown from the start."""
    schedule = SourcesSchedule.of_night(night, window(night))
    steps = schedule.steps(Document.LIVEBLOG)
    assert steps[0].offset == 0
    assert steps[0].shows == when(night, "20:30")
    assert steps[1].offset == pytest.approx(1.0)
    assert steps[1].shows == when(night, "20:41")


def test_version_follows_the_clock(night: NightFixture) -> None:
    """A version starts when its item is due and remembers when the one before started."""
    schedule = SourcesSchedule.of_night(night, window(night))
    first = schedule.version(Document.LIVEBLOG, 0.99)
    assert (first.index, first.started, first.previous_started) == (0, 0.0, None)
    second = schedule.version(Document.LIVEBLOG, 1.0)
    assert second.index == 1
    assert second.started == pytest.approx(1.0)
    assert second.previous_started == 0.0
    assert second.shows == when(night, "20:41")


def test_each_document_changes_only_with_its_own_items(night: NightFixture) -> None:
    """The feed keeps its version while liveblog entries come and go."""
    schedule = SourcesSchedule.of_night(night, window(night))
    assert schedule.version(Document.FEED, 0.0) == schedule.version(Document.FEED, 100.0)
    results = schedule.version(Document.RESULTS, 1.5)
    assert results.shows == when(night, "20:41")
    assert results.started == pytest.approx(1.0)


def test_a_document_with_nothing_yet_shows_nothing(night: NightFixture) -> None:
    """Before its first item, a document's version is -1 and renders before everything."""
    schedule = SourcesSchedule.of_night(night, window(night, start="06:00"))
    version = schedule.version(Document.RESULTS, 0.0)
    assert version.index == -1
    assert version.shows < min(checkpoint.published for checkpoint in night.checkpoints)
    first = schedule.version(Document.RESULTS, 425.0)  # 13:05 is 7 h 05 after 06:00
    assert first.index == 0
    assert first.previous_started == 0.0


def test_to_stops_the_clock_at_its_time(night: NightFixture) -> None:
    """With --to 20:45 the clock runs to 20:45 and stops; later items never show."""
    schedule = SourcesSchedule.of_night(night, window(night, end="20:45"))
    assert schedule.duration == pytest.approx(5.0)
    assert schedule.moment(4.9).finished is False
    end = schedule.moment(10_000.0)
    assert end.finished is True
    assert end.virtual_time == when(night, "20:45")
    assert schedule.version(Document.LIVEBLOG, 10_000.0).shows == when(night, "20:41")


def test_max_gap_shortens_the_wait(night: NightFixture) -> None:
    """--max-gap caps the 13:05 -> 17:59 wait of the results."""
    capped = window(night, start="13:05", speed=1, max_gap=timedelta(minutes=5))
    schedule = SourcesSchedule.of_night(night, capped)
    steps = schedule.steps(Document.RESULTS)
    assert steps[1].shows == when(night, "17:59")
    assert steps[1].offset <= 300.0


def test_speed_max_is_one_version_at_once(night: NightFixture) -> None:
    """At --speed max every document shows the whole night at once, for good."""
    schedule = SourcesSchedule.of_night(night, window(night, speed=math.inf))
    version = schedule.version(Document.LIVEBLOG, 0.0)
    assert version.shows == night.liveblog[-1].at
    assert version.previous_started is None
    assert schedule.moment(0.0).finished is True


def test_loop_starts_again_after_the_pause(night: NightFixture) -> None:
    """With loop, the night starts again after the pause, and versions keep their history."""
    schedule = SourcesSchedule.of_night(
        night, window(night, end="20:45"), loop=True, loop_pause=10.0
    )
    assert schedule.period == pytest.approx(15.0)
    assert schedule.moment(5.5).finished is True
    assert schedule.moment(5.5).virtual_time == when(night, "20:45")
    again = schedule.moment(15.5)
    assert again.pass_index == 1
    assert again.finished is False
    assert again.virtual_time == when(night, "20:40:30")
    version = schedule.version(Document.LIVEBLOG, 15.5)
    assert version.index == 0
    assert version.started == pytest.approx(15.0)
    assert version.previous_started == pytest.approx(1.0)


def test_loop_needs_a_pause(night: NightFixture) -> None:
    """A loop without a pause between passes is refused."""
    with pytest.raises(ClockError):
        SourcesSchedule.of_night(night, window(night), loop=True, loop_pause=0)
