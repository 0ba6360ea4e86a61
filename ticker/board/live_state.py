"""What the broadcaster knows of the night so far: the latest count and turnout, recent updates.

Pure: the broadcaster's one Redis reader feeds every update it reads, in stream order, to
:meth:`LiveState.apply` and :meth:`RecentUpdates.add`; new clients get their snapshot and their
backlog from here, without a Redis round trip per client.

The latest count is the one a scoreboard shows: among the live (not deleted) ``count`` updates
that carry shares, a national one if there is any, else a local one; the latest by ``at``, then
by stream order. The latest turnout is chosen the same way among ``turnout`` updates with
figures. An edit replaces its uid's earlier content; a delete takes the uid out, so the previous
count comes back if the latest one is withdrawn.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import datetime
from typing import Final

from ingest.model.update import Kind, Op, Update
from ticker.wire.protocol import EncodedUpdate, id_key

__all__ = ["LiveState", "RecentUpdates", "rank"]

_NATIONAL: Final = "national"


def _qualifies(update: Update) -> bool:
    """Whether ``update`` can be a scoreboard's count or the headline turnout."""
    figures = update.figures
    if figures is None:
        return False
    if update.kind is Kind.COUNT:
        return bool(figures.shares)
    if update.kind is Kind.TURNOUT:
        return any(
            value is not None
            for value in (
                figures.voters,
                figures.voters_low,
                figures.stations_pct,
                figures.change_pct,
            )
        )
    return False


def rank(update: Update) -> tuple[bool, datetime, tuple[int, int]]:
    """The order of preference among candidates: national first, then latest ``at``, then id."""
    figures = update.figures
    national = figures is not None and figures.scope == _NATIONAL
    return (national, update.at, id_key(update.id) if update.id else (0, 0))


class _Latest:
    """The best update of one kind among the live ones, kept incrementally."""

    def __init__(self) -> None:
        self._live: dict[str, Update] = {}
        self.best: Update | None = None

    def apply(self, update: Update) -> bool:
        """Take ``update`` into account; return whether the best one changed."""
        before = self.best
        if update.op is Op.DELETE or not _qualifies(update):
            # A delete, or an edit that lost its figures: the uid no longer counts.
            removed = self._live.pop(update.uid, None)
            if removed is not None and before is not None and before.uid == update.uid:
                self.best = max(self._live.values(), key=rank, default=None)
        else:
            self._live[update.uid] = update
            if before is not None and before.uid == update.uid:
                self.best = max(self._live.values(), key=rank)
            elif before is None or rank(update) > rank(before):
                self.best = update
        return self.best is not before


class LiveState:
    """The latest count and the latest turnout, from every update read in stream order."""

    def __init__(self) -> None:
        self._count = _Latest()
        self._turnout = _Latest()
        self.last_id: str | None = None

    @property
    def count(self) -> Update | None:
        """The update a scoreboard shows, or None before the first count."""
        return self._count.best

    @property
    def turnout(self) -> Update | None:
        """The headline turnout update, or None before the first one."""
        return self._turnout.best

    def apply(self, update: Update) -> bool:
        """Take one update (read from the stream, in order); return whether the snapshot changed.

        Updates of other kinds change nothing but ``last_id``.
        """
        if update.id is not None:
            self.last_id = update.id
        if update.kind is Kind.COUNT:
            return self._count.apply(update)
        if update.kind is Kind.TURNOUT:
            return self._turnout.apply(update)
        return False


class RecentUpdates:
    """The newest ``capacity`` updates read, encoded, oldest first: the in-memory backlog.

    It holds a contiguous run of the stream: every entry read after its first one. A client
    whose ``since`` falls within it is served from memory; an older one goes to Redis.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must not be negative, got {capacity}")
        self._entries: deque[EncodedUpdate] = deque(maxlen=capacity or None)
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[EncodedUpdate]:
        return iter(self._entries)

    def add(self, entry: EncodedUpdate) -> None:
        """Append the next entry read (entries come in stream order)."""
        if self._capacity:
            self._entries.append(entry)

    def covers(self, since: tuple[int, int]) -> bool:
        """Whether every entry after ``since`` that was read is here.

        True when ``since`` is at or after the first entry held: nothing after it can have
        been dropped from memory.
        """
        return bool(self._entries) and since >= self._entries[0].key

    def after(self, since: tuple[int, int]) -> list[EncodedUpdate]:
        """The entries held with ids after ``since``, oldest first."""
        entries = self._entries
        # Clients usually resume near the end: walk back from the newest.
        index = len(entries)
        while index > 0 and entries[index - 1].key > since:
            index -= 1
        return [entries[position] for position in range(index, len(entries))]

    def newest(self, count: int) -> list[EncodedUpdate]:
        """The ``count`` newest entries held, oldest first."""
        if count <= 0:
            return []
        entries = self._entries
        start = max(0, len(entries) - count)
        return [entries[position] for position in range(start, len(entries))]
