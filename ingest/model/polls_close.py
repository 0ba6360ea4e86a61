"""When polls close on a night: the optional ``polls_close`` and ``[polls_close_in]`` keys.

``polls_close = "19:00"`` is when polling stations close; ``[polls_close_in]`` gives the
territories where they close at another time (``"grandes villes" = "20:00"``). The embargo on
results and estimates (``docs/night.md``, ``docs/protocol.md``) ends when the *last* of them
closes: :func:`embargo_end`. Pure; the night file's reader (:mod:`ingest.model.night_file`)
reports the problems found here with their file and line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, time
from typing import Any, Final

from ingest.model.night import Night

__all__ = ["POLLS_KEYS", "embargo_end", "parse_polls_close"]

#: The night file's keys read here.
POLLS_KEYS: Final = ("polls_close", "polls_close_in")
_CLOCK: Final = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_MAX_TERRITORY: Final = 100

#: Reports one problem: (key, message, table holding the key or None for the top level).
Problem = Callable[[str, str, str | None], None]

PollsClose = tuple[time | None, tuple[tuple[str, time], ...]]


def _clock(value: object) -> time | None:
    """``"19:00"`` (or a TOML local time) as a time, else None."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0) if not value.second else None
    if isinstance(value, str):
        match = _CLOCK.fullmatch(value.strip())
        if match:
            return time(int(match[1]), int(match[2]))
    return None


def parse_polls_close(data: Mapping[str, Any], problem: Problem) -> PollsClose:
    """The closing time and the territories' own times; each bad value goes to ``problem``."""
    closes: time | None = None
    if "polls_close" in data:
        closes = _clock(data["polls_close"])
        if closes is None:
            problem("polls_close", 'must be a time of day, HH:MM ("19:00")', None)
    raw = data.get("polls_close_in", {})
    if not isinstance(raw, Mapping):
        problem("polls_close_in", 'must be a table of territory = "HH:MM" ([polls_close_in])', None)
        return closes, ()
    territories: list[tuple[str, time]] = []
    for territory, value in raw.items():
        name = " ".join(str(territory).split())
        at = _clock(value)
        if not name or len(name) > _MAX_TERRITORY or not name.isprintable():
            problem(
                territory, "must be a territory's name (at most 100 characters)", "polls_close_in"
            )
        elif at is None:
            problem(territory, 'must be a time of day, HH:MM ("20:00")', "polls_close_in")
        else:
            territories.append((name, at))
    if territories and closes is None:
        problem("polls_close_in", "needs polls_close (the time elsewhere)", None)
    return closes, tuple(territories)


def embargo_end(night: Night) -> datetime | None:
    """When the last polling stations of the night close (an aware instant), or None: no
    closing time is known, so nothing is held."""
    if night.polls_close is None:
        return None
    last = max([night.polls_close, *(at for _name, at in night.polls_close_in)])
    return night.instant(last)
