"""The updates the benchmarks work with: the night of 29 January 2017, and larger nights from it.

Real sizes matter (an update's JSON is about 500 bytes, a speech longer than a turnout line), so
every benchmark starts from the night's own updates (:func:`replay.timeline.night_updates`) and,
when it needs more, repeats them under new uids (:func:`cycled_updates`) or spreads them over a
synthetic timeline (:func:`synthetic_night`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache

from ingest.model.update import Update
from replay.fixtures import find_night
from replay.night_fixture import NightFixture
from replay.timeline import night_updates

__all__ = ["cycled_updates", "night_fixture", "synthetic_night", "the_night"]


@cache
def night_fixture() -> NightFixture:
    """The bundled night (loaded once per process)."""
    return find_night(None)


def the_night() -> list[Update]:
    """Every update of the bundled night, in order, freshly built (``seen`` is now)."""
    return night_updates(night_fixture(), seen=datetime.now(UTC))


def cycled_updates(count: int, *, tag: str = "bench") -> list[Update]:
    """``count`` distinct updates: the night's, repeated, each copy under a uid of its own.

    New instances every call (nothing encoded yet), so a benchmark pays for encoding them.
    """
    base = the_night()
    return [
        replace(base[index % len(base)], uid=f"{base[index % len(base)].uid}#{tag}{index}")
        for index in range(count)
    ]


def synthetic_night(count: int, *, spacing: timedelta, tag: str = "synthetic") -> list[Update]:
    """``count`` distinct updates ``spacing`` apart, from the night's first update on.

    The night's texts and figures, cycled, on an evenly spaced timeline: a night longer (or
    denser) than the real one, to show how a replay scales.
    """
    base = the_night()
    start = base[0].at
    return [
        replace(
            base[index % len(base)],
            uid=f"{base[index % len(base)].uid}#{tag}{index}",
            at=start + spacing * index,
        )
        for index in range(count)
    ]
