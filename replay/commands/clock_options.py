"""Parsing of the clock options shared by ``soiree replay`` and ``soiree sources``.

``--from`` / ``--to`` are Paris times on the night (``20:30``, ``20h30``, ``2017-01-29T20:30``,
or a full ISO 8601 instant with its offset); a bare time before the night's early hour is on the
next day, as on the liveblog. ``--max-gap`` is a duration (``300``, ``90s``, ``5m``, ``1h``,
``1h30m``, ``00:05:00``). Pure.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from ingest.model.night import Night
from replay.clock import ClockError, ReplayWindow, parse_speed
from replay.commands.clock_cli import ClockOptions
from replay.night_fixture import NightFixture
from replay.timeline import with_default_start

__all__ = ["parse_duration", "parse_night_time", "window_from_options", "window_of"]

_CLOCK = re.compile(
    r"(?P<hour>[01]?\d|2[0-3])\s*[:hH]\s*(?P<minute>[0-5]\d)?(?::(?P<second>[0-5]\d))?"
)
_DURATION_UNITS = re.compile(r"(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>h|m|min|s)")
_HMS = re.compile(r"(?P<h>\d+):(?P<m>[0-5]\d)(?::(?P<s>[0-5]\d))?")


def parse_night_time(raw: str, night: Night, *, option: str = "--from") -> datetime:
    """Parse a ``--from`` / ``--to`` value into an aware instant in the night's time zone."""
    text = raw.strip()
    match = _CLOCK.fullmatch(text)
    if match:
        clock = time(int(match["hour"]), int(match["minute"] or 0), int(match["second"] or 0))
        return night.instant(clock)
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as error:
        raise ClockError(
            f"{option} must be a Paris time such as 20:30 or 20h30, or an ISO 8601 instant;"
            f" got {raw!r}"
        ) from error
    if instant.tzinfo is None:
        return instant.replace(tzinfo=night.timezone)
    return instant.astimezone(night.timezone)


def parse_duration(raw: str, *, option: str = "--max-gap") -> timedelta:
    """Parse a duration: seconds (``300``), units (``5m``, ``1h30m``, ``90s``) or ``H:MM[:SS]``."""
    text = raw.strip().lower().replace(" ", "")
    seconds: float | None = None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        seconds = float(text)
    elif (hms := _HMS.fullmatch(text)) is not None:
        seconds = int(hms["h"]) * 3600 + int(hms["m"]) * 60 + int(hms["s"] or 0)
    elif text and _DURATION_UNITS.sub("", text) == "":
        factor = {"h": 3600, "m": 60, "min": 60, "s": 1}
        seconds = sum(
            float(part["value"]) * factor[part["unit"]] for part in _DURATION_UNITS.finditer(text)
        )
    if seconds is None or seconds <= 0:
        raise ClockError(f"{option} must be a positive duration such as 300, 5m or 1h; got {raw!r}")
    return timedelta(seconds=seconds)


def window_from_options(
    night: Night,
    *,
    speed: str = "1",
    start: str | None = None,
    end: str | None = None,
    max_gap: str | None = None,
) -> ReplayWindow:
    """The replay window described by the command-line options."""
    return ReplayWindow(
        speed=parse_speed(speed),
        start=None if start is None else parse_night_time(start, night, option="--from"),
        end=None if end is None else parse_night_time(end, night, option="--to"),
        max_gap=None if max_gap is None else parse_duration(max_gap),
    )


def window_of(clock: ClockOptions, fixture: NightFixture) -> ReplayWindow:
    """The window of the clock options, ``--from`` defaulted to the first entry of the day."""
    window = window_from_options(
        fixture.night, speed=clock.speed, start=clock.start, end=clock.end, max_gap=clock.max_gap
    )
    return with_default_start(window, fixture)
