"""The small logs beside a night's stream (the desk's actions ``<stream>:desk``, the editors'
embargo acts ``<stream>:embargo``) read back: the entries after a cursor, each one parsed, an
entry that does not parse logged (one line, a warning) and skipped, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from redis.asyncio import Redis

from ingest.store.replies import reply_strings

__all__ = ["LogRead", "read_log"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LogRead(Generic[T]):
    """What one read gave: each entry that parsed, with its id, in order; and the id of the last
    entry read (parsed or not; None: none), the cursor of the next read."""

    entries: list[tuple[str, T]] = field(default_factory=list)
    last_id: str | None = None


async def read_log(
    redis: Redis,
    key: str,
    parse: Callable[[dict[str, str]], T],
    *,
    what: str,
    after: str | None = None,
    count: int | None = None,
) -> LogRead[T]:
    """The entries of the log ``key`` after the id ``after`` (None: from its start), at most
    ``count``; ``parse`` raises ``ValueError`` for an entry that is not one (``what``: the
    log's name in the warning, ``desk``, ``embargo``)."""
    raw = await redis.xrange(key, min="-" if after is None else f"({after}", count=count)
    entries: list[tuple[str, T]] = []
    last_id: str | None = None
    for entry_id, fields in raw or []:
        last_id = str(entry_id)
        try:
            entries.append((last_id, parse(reply_strings(fields))))
        except ValueError as error:
            logger.warning("skipping %s entry %s: %s", what, entry_id, error)
    return LogRead(entries, last_id)
