"""A liveblog entry's time as written (text or attribute) to an instant of the night. Pure.

Read forms: a bare time (``19h45``, ``12H05``, ``19:45``, ``19 h 45``), a date and a time
(``29/01 21:16``, ``29/01/2017 à 21h16``), an ISO datetime (``2017-01-29T19:45:00+01:00``;
without an offset, a wall time of the night's zone), an ISO date with the time in the element's
text, and (attributes only) a Unix timestamp in seconds or milliseconds (``1485715500``).
A bare time is on the night's date, or the next day before the night's ``early_hour``; times
are in the night's time zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from selectolax.lexbor import LexborNode

from ingest.model.instants import local_instant
from ingest.model.night import Night
from ingest.model.update import UpdateError
from ingest.sources.html_text import node_text

__all__ = ["attribute_time", "cut_leading_time", "element_time", "parse_time_text", "shown"]

# "29/01 21:16", "29/01/2017 à 21h16", "21h16", "12H05", "21:16", "19 h 45".
_TIME_TEXT: Final = re.compile(
    r"(?:(?P<day>[0-3]?\d)/(?P<month>[01]?\d)(?:/(?P<year>\d{4}|\d{2}))?\s*(?:à\s*)?)?"
    r"(?P<hour>[01]?\d|2[0-3])\s*[hH:]\s*(?P<minute>[0-5]\d)"
)
_DATE_ONLY: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
# Unix time in seconds (10 digits) or milliseconds (13 digits).
_EPOCH: Final = re.compile(r"\d{10}|\d{13}")
# A date more than this after the night is taken to be in the year before (a "31/12" entry
# on a night of 1 January).
_YEAR_WRAP: Final = timedelta(days=183)
# How much of a hostile value a skip message quotes.
_QUOTED: Final = 40


def shown(value: str) -> str:
    """``value`` quoted for a one-line message, cut to a readable length."""
    one_line = " ".join(value.split())
    if len(one_line) > _QUOTED:
        one_line = one_line[: _QUOTED - 1] + "…"
    return repr(one_line)


def _readable(instant: datetime | None, night: Night) -> datetime | None:
    """``instant`` in the night's zone, or None if it is out of the dates read (past year
    9999 once converted, before 1970: :func:`ingest.model.instants.local_instant`)."""
    if instant is None:
        return None
    try:
        return local_instant(instant, night.timezone, field_name="time")
    except UpdateError:
        return None


def parse_time_text(text: str, night: Night) -> datetime | None:
    """The instant a liveblog time as written designates (None if there is no time in it)."""
    return _readable(_text_time(text, night), night)


def _text_time(text: str, night: Night) -> datetime | None:
    match = _TIME_TEXT.search(text)
    if match is None:
        return None
    clock = time(int(match["hour"]), int(match["minute"]))
    if match["day"] is None:
        return night.instant(clock)
    year = night.date.year
    if match["year"]:
        year = int(match["year"])
        if year < 100:
            year += 2000
    try:
        day = date(year, int(match["month"]), int(match["day"]))
    except ValueError:
        return None
    if match["year"] is None and day - night.date > _YEAR_WRAP:
        day = day.replace(year=year - 1)
    return night.instant(clock, on=day)


def _iso(value: str, night: Night) -> datetime | None:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=night.timezone)
    return _readable(instant, night)


def _epoch(value: str, night: Night) -> datetime | None:
    seconds = int(value) / (1000 if len(value) == 13 else 1)
    try:
        return _readable(datetime.fromtimestamp(seconds, tz=UTC), night)
    except (OverflowError, OSError, ValueError):
        return None


def _value_time(value: str, night: Night) -> datetime | None:
    """An attribute's instant: ISO datetime, Unix time, or a time as written."""
    if _EPOCH.fullmatch(value):
        return _epoch(value, night)
    if _DATE_ONLY.match(value):
        # ISO-shaped: an ISO datetime, or a real date and a time as written after it
        # ("2017-01-29 à 20h41"); never the "10:00" of "2017-13-45T10:00".
        found = _iso(value, night)
        if found is not None:
            return found
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return None
        written = parse_time_text(value[10:], night)
        return None if written is None else _readable(night.instant(written.time(), on=day), night)
    return parse_time_text(value, night)


def element_time(node: LexborNode, night: Night) -> datetime | None:
    """A time element's instant: its ``datetime`` attribute, else its text."""
    attribute = (node.attributes.get("datetime") or "").strip()
    if _DATE_ONLY.fullmatch(attribute):
        # A date without its time: the day comes from it, the time from the text.
        written = parse_time_text(node_text(node), night)
        try:
            day = date.fromisoformat(attribute)
        except ValueError:  # 2017-13-45
            return None
        if written is None:
            return None
        return _readable(night.instant(written.time(), on=day), night)
    if attribute:
        found = _value_time(attribute, night)
        if found is not None:
            return found
    return parse_time_text(node_text(node), night)


def attribute_time(node: LexborNode, attribute: str, night: Night) -> datetime | str:
    """The instant the attribute ``attribute`` of ``node`` holds, or why there is none (a
    message such as ``no data-time attribute``)."""
    value = node.attributes.get(attribute)
    if value is None:
        return f"no {attribute} attribute"
    found = _value_time(value.strip(), night)
    if found is None:
        return f"{attribute} {shown(value)} is no time it could read"
    return found


def cut_leading_time(text: str) -> str:
    """``text`` less the time it starts with, and the punctuation after it (``19h45 - Titre``
    -> ``Titre``); ``text`` as it is if it starts with no time."""
    stripped = text.strip()
    match = _TIME_TEXT.match(stripped)
    if match is None:
        return stripped
    return stripped[match.end() :].lstrip(" \t\n:.,;|-\u2013\u2014").strip()
