"""The embargo gate (ticker.wire.embargo) on the bundled nights, and the night file's keys."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

import pytest

from ingest.model.night_file import NightFileError, night_from_text
from ingest.model.nights import find_night
from ingest.model.polls_close import embargo_end
from ingest.model.update import Kind, Update
from replay.fixtures import find_night as find_fixture_night
from replay.timeline import night_updates
from ticker.wire.embargo import (
    Act,
    EmbargoAct,
    PublicGate,
    embargo_ends,
    held_for_public,
    is_held,
)


@dataclass(frozen=True)
class Entry:
    update: Update


def _night_entries() -> list[Entry]:
    """29 January's updates as a replay appends them: each seen at its own time."""
    fixture = find_fixture_night("2017-01-29")
    updates = night_updates(fixture, seen=datetime(2017, 1, 29, 12).astimezone())
    return [Entry(replace(update, seen=update.at)) for update in updates]


def test_bundled_nights_say_when_polls_close() -> None:
    january = find_night("2017-01-29")
    assert january.polls_close == time(19, 0)
    assert embargo_end(january) == january.instant(time(19, 0))
    may = find_night("2017-05-07")
    assert may.polls_close == time(19, 0)
    assert may.polls_close_in == (("grandes villes", time(20, 0)),)
    # The national embargo ends when the last polling stations close.
    assert embargo_end(may) == may.instant(time(20, 0))


_BASE = 'date = "2017-01-29"\nround = 2\n[[candidates]]\nname = "A"\n'


def test_a_night_without_closing_time_holds_nothing() -> None:
    assert embargo_end(night_from_text(_BASE)) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('polls_close = "7pm"\n', "night.toml:1: polls_close: must be a time of day"),
        ('polls_close = "24:00"\n', "night.toml:1: polls_close: must be a time of day"),
        ("polls_close = 19\n", "night.toml:1: polls_close: must be a time of day"),
        (
            '[polls_close_in]\n"Paris" = "20:00"\n',
            "polls_close_in: needs polls_close",
        ),
    ],
)
def test_bad_closing_times_are_named(text: str, problem: str) -> None:
    before, after = (text, "") if text.startswith("polls") else ("", text)
    with pytest.raises(NightFileError) as error:
        night_from_text(before + _BASE + after)
    assert any(problem in line for line in error.value.problems), error.value.problems


def test_a_bad_territory_time_is_named_with_its_line() -> None:
    text = 'polls_close = "19:00"\n' + _BASE + '[polls_close_in]\n"Paris" = "20h"\n'
    with pytest.raises(NightFileError) as error:
        night_from_text(text)
    assert error.value.problems == (
        'night.toml:7: polls_close_in.Paris: must be a time of day, HH:MM ("20:00")',
    )


def test_the_1839_estimate_is_held_until_1900_then_released_once_in_order() -> None:
    night = find_night("2017-01-29")
    entries = _night_entries()
    gate: PublicGate[Entry] = PublicGate(closes=embargo_end(night))
    public: list[Entry] = []
    at_1850: list[Entry] | None = None
    for entry in entries:
        now = entry.update.seen
        if at_1850 is None and now > night.instant(time(18, 50)):
            public.extend(gate.tick(night.instant(time(18, 50))))
            at_1850 = list(public)
        public.extend(gate.admit(entry, now))
    public.extend(gate.tick(night.instant(time(23, 59))))
    estimate_1839 = next(
        e for e in entries if e.update.kind is Kind.ESTIMATE and e.update.at.hour == 18
    )
    assert estimate_1839.update.at.minute == 39
    assert at_1850 is not None
    assert estimate_1839 not in at_1850
    assert all(e.update.kind not in {Kind.ESTIMATE, Kind.COUNT} for e in at_1850)
    # Nothing lost, nothing twice.
    assert sorted(id(e) for e in public) == sorted(id(e) for e in entries)
    # The held ones come out together, in stream order, right before the first entry after 19:00.
    held = [e for e in entries if e.update.kind in {Kind.ESTIMATE, Kind.COUNT}]
    held = [e for e in held if e.update.seen < night.instant(time(19, 0))]
    start = public.index(held[0])
    assert public[start : start + len(held)] == held
    assert public[start + len(held)].update.seen >= night.instant(time(19, 0))


def test_an_editor_releases_early_or_holds_longer() -> None:
    night = find_night("2017-01-29")
    closes = embargo_end(night)
    assert closes is not None
    entry = next(e for e in _night_entries() if e.update.kind is Kind.ESTIMATE)
    gate: PublicGate[Entry] = PublicGate(closes=closes)
    assert gate.admit(entry, entry.update.seen) == []
    later = closes + timedelta(minutes=30)
    gate.act(EmbargoAct(Act.HOLD, at=closes, reason="chiffres à vérifier", until=later))
    assert gate.tick(closes + timedelta(minutes=5)) == []
    assert is_held(entry.update, closes, active=True, end=later)
    gate.act(EmbargoAct(Act.RELEASE, at=closes + timedelta(minutes=10), reason="vérifiés"))
    assert gate.tick(closes + timedelta(minutes=10)) == [entry]
    assert gate.tick(closes + timedelta(minutes=11)) == []
    # A hold without end lasts until a release.
    assert embargo_ends(None, [EmbargoAct(Act.HOLD, at=closes, reason="x")]) == (True, None)
    assert embargo_ends(None, []) == (False, None)
    with pytest.raises(ValueError, match="reason"):
        EmbargoAct(Act.RELEASE, at=closes, reason=" ")


def test_held_for_public_asks_the_gate_after_the_fact() -> None:
    """The staff ticker's mark: the 18:39 estimate, given the editors' acts made by ``now``."""
    night = find_night("2017-01-29")
    closes = embargo_end(night)
    assert closes is not None
    update = next(e for e in _night_entries() if e.update.kind is Kind.ESTIMATE).update
    at = night.instant
    release = EmbargoAct(Act.RELEASE, at=at(time(18, 45)), reason="accord")
    hold = EmbargoAct(Act.HOLD, at=at(time(18, 55)), reason="à vérifier", until=at(time(19, 30)))
    assert held_for_public(update, at(time(18, 50)), closes, [])
    assert not held_for_public(update, at(time(19, 0)), closes, [])
    assert not held_for_public(update, at(time(18, 50)), closes, [release])
    assert held_for_public(update, at(time(18, 40)), closes, [release])  # not made yet
    assert held_for_public(update, at(time(19, 10)), closes, [hold])
    assert not held_for_public(update, at(time(19, 30)), closes, [hold])
    # Released at 18:45, it stays public when an editor holds again at 18:55.
    assert not held_for_public(update, at(time(19, 10)), closes, [release, hold])
    # Not a figure of the vote, or no embargo: never held.
    assert not held_for_public(replace(update, kind=Kind.NEWS), at(time(18, 50)), closes, [])
    assert not held_for_public(update, at(time(18, 50)), None, [])
