"""Instants from documents, in the night's time zone, within the calendar an update can hold. Pure.

A source may write any date (``9999-12-31T23:59:59-01:00``, ``0001-01-01``, 1853): converted
to UTC or to the night's zone, the first two overflow Python's calendar (an ``OverflowError``
that would fail the whole document), and dates before time zones were standard carry the zone's
old local mean time (Paris: ``+00:09:21``), an offset in seconds that no update's ``at`` may
carry (``docs/update.schema.json``). :func:`local_instant` takes an instant to the night's zone
or raises :class:`~ingest.model.update.UpdateError`, so that each parser makes it a problem of
that item alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Final

from ingest.model.figures import UpdateError

__all__ = ["READABLE_FROM", "READABLE_UNTIL", "local_instant"]

#: The first instant read as a date: no election night, and no feed of one, is older.
READABLE_FROM: Final = datetime(1970, 1, 1, tzinfo=UTC)
#: The first instant past what is read as a date (far from Python's year 9999).
READABLE_UNTIL: Final = datetime(2200, 1, 1, tzinfo=UTC)


def local_instant(instant: datetime, zone: tzinfo, *, field_name: str) -> datetime:
    """``instant`` (which carries an offset) in ``zone``; UpdateError if out of range."""
    try:
        utc = instant.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not READABLE_FROM <= utc < READABLE_UNTIL:
        raise UpdateError(
            f"{field_name}: {instant.isoformat()} is out of the dates read"
            f" ({READABLE_FROM.year} to {READABLE_UNTIL.year - 1})"
        )
    local = utc.astimezone(zone)
    offset = local.utcoffset()
    if offset is not None and offset % timedelta(minutes=1):
        raise UpdateError(
            f"{field_name}: {instant.isoformat()} has an offset in seconds in its zone"
        )
    return local
