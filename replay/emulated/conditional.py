"""Conditional requests for the emulated sources and a recording served again: the validators of
a version's answer (``ETag``, ``Last-Modified``, ``Cache-Control``) and whether a request gets a
``304``. Pure.

``If-None-Match`` wins over ``If-Modified-Since`` (RFC 9110, 13.2.2); either gives ``304 Not
Modified``. Malformed conditional headers are ignored, never an error. ``Last-Modified`` is the
wall time at which the version first appeared (the epoch time at the clock's anchor plus the
version's offset), the same for every client, however late it asks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC
from email.utils import formatdate, parsedate_to_datetime

__all__ = ["http_date", "is_not_modified", "version_validators"]


def is_not_modified(
    if_none_match: Sequence[str],
    if_modified_since: Sequence[str],
    *,
    etag: str,
    last_modified: float,
    previous_modified: float | None,
    now: float,
) -> bool:
    """Whether a GET with these ``If-None-Match`` / ``If-Modified-Since`` values gets a 304.

    ``if_none_match`` and ``if_modified_since`` are every value of each header (maybe none).
    ``last_modified`` is when the current version appeared and ``previous_modified`` when the
    version before it did (epoch seconds, fractions kept). An HTTP date has whole seconds, so
    when both versions fall in the same second a date cannot tell them apart: then only the
    ``ETag`` can give a 304. A date that does not parse, or lies in the future, is ignored.
    """
    if if_none_match:
        wanted = (tag.strip() for value in if_none_match for tag in value.split(","))
        return any(tag == "*" or tag.removeprefix("W/") == etag for tag in wanted)
    # One date, and only one: an HTTP date holds at most one comma, a list of them more.
    if len(if_modified_since) != 1 or if_modified_since[0].count(",") > 1:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since[0].strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    try:
        since_epoch = since.timestamp()
    except (OverflowError, OSError, ValueError):
        return False
    modified_second = math.floor(last_modified)
    if since_epoch > now:
        return False
    if previous_modified is not None and math.floor(previous_modified) == modified_second:
        return False
    return modified_second <= since_epoch


def http_date(epoch: float) -> str:
    """``epoch`` as an HTTP date (IMF-fixdate), truncated to the second."""
    return formatdate(math.floor(epoch), usegmt=True)


def version_validators(
    if_none_match: Sequence[str],
    if_modified_since: Sequence[str],
    *,
    etag: str,
    epoch_at_anchor: float,
    started: float,
    previous_started: float | None,
    max_age: int,
    now: float,
) -> tuple[dict[str, str], bool]:
    """The headers of a version's answer, and whether the request gets a 304.

    ``started`` and ``previous_started`` are when the version and the one before it first
    appeared, in wall seconds since the anchor (``previous_started`` None: there was none).
    """
    last_modified = epoch_at_anchor + started
    previous = None if previous_started is None else epoch_at_anchor + previous_started
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(last_modified),
        "Cache-Control": f"max-age={max_age}",
    }
    not_modified = is_not_modified(
        if_none_match,
        if_modified_since,
        etag=etag,
        last_modified=last_modified,
        previous_modified=previous,
        now=now,
    )
    return headers, not_modified
