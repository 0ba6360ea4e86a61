"""Redis stream entry ids (``ms-seq``): the one grammar every part of soiree reads them with. Pure.

An entry id is two decimal numbers below 2**64 joined by a dash (``1485716460000-3``); a bare
``ms`` means ``ms-0`` where a cursor is expected. :func:`parse_stream_id` reads either,
:func:`is_entry_id` says whether a string is a full ``ms-seq`` id (an update's ``id`` field), and
:func:`check_since` validates a resume cursor (``--since``, ``?since=``, a ``resume`` message).
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["check_since", "is_entry_id", "parse_stream_id"]

_STREAM_ID: Final = re.compile(r"(\d{1,20})(?:-(\d{1,20}))?")
_MAX_ID_PART: Final = 2**64 - 1


def parse_stream_id(value: str) -> tuple[int, int]:
    """``"1485716460000-3"`` -> ``(1485716460000, 3)`` (``"ms"`` alone is ``ms-0``)."""
    match = _STREAM_ID.fullmatch(value)
    if match is None:
        raise ValueError(f"not a stream entry id (ms-seq): {value!r}")
    ms, seq = int(match[1]), int(match[2] or 0)
    if ms > _MAX_ID_PART or seq > _MAX_ID_PART:
        raise ValueError(f"stream entry id out of range: {value!r}")
    return ms, seq


def is_entry_id(value: str) -> bool:
    """Whether ``value`` is a full stream entry id ``ms-seq`` (both parts, in range)."""
    if "-" not in value:
        return False
    try:
        parse_stream_id(value)
    except ValueError:
        return False
    return True


def check_since(since: str | None) -> str | None:
    """Validate a resume cursor: None for "from the start", ``"$"``, or a normalised ``ms-seq``.

    Accepts None, ``"0"``, ``"0-0"`` (from the start), ``"$"`` (only what comes next), an entry
    id ``ms-seq`` or a bare ``ms`` (``ms-0``). Raises ValueError for anything else.
    """
    if since is None or since in ("0", "0-0"):
        return None
    if since == "$":
        return since
    try:
        ms, seq = parse_stream_id(since)
    except ValueError:
        raise ValueError(
            f"since must be a stream entry id such as 1485716460000-0, '0' or '$', got {since!r}"
        ) from None
    return f"{ms}-{seq}"
