"""When a source's poller counts as gone: one rule for ``ingest --status``, the ticker and
``/healthz`` readers.

A poller writes, with every poll, when it means to poll next (``next_poll``). A next poll long
overdue (by :data:`SILENT_AFTER` seconds, or two intervals if longer) means the poller has
stopped (killed, its host down): the source is **silent**, whatever its last ``state`` says. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

__all__ = ["SILENT_AFTER", "is_silent", "overdue_seconds", "parse_instant", "parse_number"]

#: A poll overdue by this much (or by two intervals, if longer) means the poller is gone.
SILENT_AFTER: Final = 15.0


def parse_instant(value: object) -> float | None:
    """An aware ISO 8601 instant (or datetime) as Unix seconds; None if it is not one."""
    if isinstance(value, datetime):
        return value.timestamp() if value.tzinfo is not None else None
    if not isinstance(value, str) or not value:
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant.timestamp() if instant.tzinfo is not None else None


def parse_number(value: object) -> float | None:
    """A number, or a string holding one, as a float; None otherwise (booleans too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def overdue_seconds(health: Mapping[str, object], now: float) -> float | None:
    """How late the source's next poll is at ``now`` (Unix seconds); None if it does not say."""
    next_poll = parse_instant(health.get("next_poll"))
    return None if next_poll is None else now - next_poll


def is_silent(health: Mapping[str, object], now: float) -> bool:
    """Whether the source's poller looks gone at ``now``: its next poll is long overdue."""
    overdue = overdue_seconds(health, now)
    interval = parse_number(health.get("interval")) or 0.0
    return overdue is not None and overdue > max(SILENT_AFTER, 2 * interval)
