"""A date written in French words (``dimanche 7 mai 2017 à 19h45``) to a datetime. Pure.

French newsrooms' feeds often date their items as their pages do, in words, which neither
RFC 822 nor ISO 8601 readers read (feedparser gives no date). Read forms: an optional weekday,
a day (``1er``), a month name (accents optional, any case), a year of four digits, then
optionally ``à`` / ``,`` / ``-`` and a time (``19h45``, ``19 h 45``, ``19:45``, ``19:45:30``).
Without a time, midnight. Such dates never carry an offset: the result is a wall time of the
zone given (the night's).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Final

__all__ = ["parse_french_date"]

_MONTHS: Final = {
    "janvier": 1, "fevrier": 2, "février": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "aout": 8, "août": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "decembre": 12, "décembre": 12,
}  # fmt: skip
_DATE: Final = re.compile(
    r"(?:(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\s*,?\s+)?"
    r"(?P<day>[0-3]?\d)(?:er)?\s+(?P<month>" + "|".join(_MONTHS) + r")\s+(?P<year>\d{4})"
    r"(?:\s*(?:à|a|,|-)?\s*(?P<hour>[0-2]?\d)\s*[hH:]\s*(?P<minute>[0-5]\d)"
    r"(?::(?P<second>[0-5]\d))?)?",
    re.IGNORECASE,
)


def parse_french_date(text: str, zone: tzinfo) -> datetime | None:
    """The instant ``text`` writes in French words, a wall time of ``zone``; None for no such
    form, or no such day or hour (``31 février``, ``25h00``)."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    try:
        return datetime(
            int(match["year"]),
            _MONTHS[match["month"].lower()],
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            tzinfo=zone,
        )
    except ValueError:
        return None
