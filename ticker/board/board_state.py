"""What the terminal ticker shows, built from updates: scoreboard, turnout, départements, feed.

Pure: the ticker's feed (Redis or a broadcaster) hands every update it reads, in stream order,
to :meth:`BoardState.apply`; the renderables read the board through its queries. Nothing here
does I/O or knows about the terminal.

Rules (``docs/ticker.md``):

- The **scoreboard** is the latest national ``count`` of the night's round that carries shares
  (latest by ``at``, then by arrival), with the previous national count whose shares differ, for
  the change per candidate. Before the first count it shows the latest national ``estimate``.
  Counts of another round (the first round's, recalled during the evening) are left out.
- **Turnout checkpoints** are the national ``turnout`` updates of the round with figures, one
  per ``as_of`` time (a liveblog and the results endpoint announcing the same 17:00 figure make
  one checkpoint: the latest wins), in chronological order.
- **Départements** are the ``count`` and ``turnout`` updates of the round whose scope is not
  national: the latest of each per département.
- The **feed** holds every update, newest first (by ``at``, then arrival); an ``edit`` replaces
  its uid's item in place, a ``delete`` marks it deleted (shown struck through). Items that
  arrive live carry their arrival time, so a renderer can highlight them for a few seconds.
- ``kinds`` / ``sources`` filters (:class:`ticker.wire.protocol.Filter`) apply to everything: an
  update that does not pass is not on the board at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from ingest.model.night import fold
from ingest.model.update import Figures, Kind, Op, Update
from ticker.wire.protocol import Filter

__all__ = [
    "NATIONAL",
    "BoardState",
    "DepartmentResult",
    "FeedItem",
    "Scoreboard",
    "ShareRow",
    "TurnoutCheckpoint",
]

NATIONAL: Final = "national"
#: Feed items kept in memory; the oldest go first.
DEFAULT_FEED_CAPACITY: Final = 1000

_FIGURE_KINDS: Final = frozenset({Kind.COUNT, Kind.ESTIMATE, Kind.TURNOUT})


@dataclass(frozen=True, slots=True)
class _Seen:
    """An update on the board, with its arrival order and (if it came live) arrival time."""

    update: Update
    seq: int
    arrived: float | None

    @property
    def rank(self) -> tuple[datetime, int]:
        return (self.update.at, self.seq)


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One candidate's line on the scoreboard."""

    name: str
    pct: float
    #: Percentage points since the previous count; None if there is none (or no figure then).
    delta: float | None
    #: The candidate's colour slot (order of first appearance in the night's figures).
    color: int


@dataclass(frozen=True, slots=True)
class Scoreboard:
    """The count (or, before any count, the estimate) the scoreboard shows."""

    latest: Update
    previous: Update | None
    is_estimate: bool
    rows: tuple[ShareRow, ...]
    arrived: float | None

    @property
    def figures(self) -> Figures:
        """The shown update's figures."""
        assert self.latest.figures is not None
        return self.latest.figures


@dataclass(frozen=True, slots=True)
class TurnoutCheckpoint:
    """One turnout checkpoint: the figures known for one ``as_of`` time (or one update)."""

    #: When the figures stand: ``as_of`` on the update's day, else the update's ``at``.
    instant: datetime
    update: Update
    arrived: float | None

    @property
    def figures(self) -> Figures:
        """The checkpoint's figures."""
        assert self.update.figures is not None
        return self.update.figures


@dataclass(frozen=True, slots=True)
class DepartmentResult:
    """The latest count and turnout known for one département."""

    scope: str
    count: Update | None
    turnout: Update | None
    arrived: float | None


@dataclass(slots=True)
class FeedItem:
    """One item of the feed: the latest content of a uid."""

    update: Update
    seq: int
    #: When it (or its latest edit or delete) came in live; None for the backlog.
    arrived: float | None
    edited: bool = False
    deleted: bool = False


def _qualifies(update: Update) -> bool:
    """Whether ``update`` carries figures the board can show."""
    figures = update.figures
    if figures is None or update.kind not in _FIGURE_KINDS:
        return False
    if update.kind is Kind.TURNOUT:
        return any(
            value is not None
            for value in (
                figures.voters,
                figures.voters_low,
                figures.voters_high,
                figures.stations_pct,
                figures.change_pct,
            )
        )
    return bool(figures.shares)


def _checkpoint_instant(update: Update) -> datetime:
    """When a turnout figure stands: its ``as_of`` on the day of ``at`` (or the day before)."""
    figures = update.figures
    if figures is None or figures.as_of is None:
        return update.at
    hour, minute = (int(part) for part in figures.as_of.split(":"))
    instant = update.at.replace(hour=hour, minute=minute, second=0, microsecond=0)
    # "à 23h" published at 00:10 stands the day before.
    return instant - timedelta(days=1) if instant > update.at + timedelta(hours=1) else instant


@dataclass(slots=True)
class BoardState:
    """The board: every update applied so far, and the queries the renderables make."""

    #: The night's round; None: the highest round the figures name.
    round: int | None = None
    filter: Filter = field(default_factory=Filter)
    feed_capacity: int = DEFAULT_FEED_CAPACITY
    last_id: str | None = None
    #: Updates applied (that passed the filter).
    applied: int = 0
    _seq: int = 0
    _figures: dict[str, _Seen] = field(default_factory=dict)
    _feed: dict[str, FeedItem] = field(default_factory=dict)
    _candidates: dict[str, int] = field(default_factory=dict)
    _rounds_seen: set[int] = field(default_factory=set)
    _health: dict[str, dict[str, object]] = field(default_factory=dict)

    # -- applying ---------------------------------------------------------------------------

    def accepts(self, update: Update) -> bool:
        """Whether ``update`` passes the ticker's filters."""
        return self.filter.accepts(update.kind.value, update.source)

    def apply(self, update: Update, *, now: float | None = None) -> bool:
        """Take one update (in stream order); return whether the board changed.

        ``now`` (Unix seconds) marks an update that came in live; the backlog passes None.
        """
        if update.id is not None:
            self.last_id = update.id
        if not self.accepts(update):
            return False
        self.applied += 1
        seq = self._seq_of(update.uid)
        self._apply_figures(update, seq, now)
        self._apply_feed(update, seq, now)
        return True

    def apply_all(self, updates: Iterable[Update], *, now: float | None = None) -> bool:
        """Apply several updates; return whether any changed the board."""
        changed = False
        for update in updates:
            changed = self.apply(update, now=now) or changed
        return changed

    def apply_figures(self, update: Update) -> bool:
        """Take an update's figures only (a snapshot's latest count or turnout), not its item.

        Used for what a broadcaster's snapshot says before its backlog: the same uid coming
        later in the backlog replaces it, and then joins the feed.
        """
        if not self.accepts(update):
            return False
        self._apply_figures(update, self._seq_of(update.uid), None)
        return True

    def add_candidates(self, names: Iterable[str]) -> None:
        """Give candidates their colour slots in this order (the night's list), ahead of use."""
        for name in names:
            self._candidates.setdefault(name, len(self._candidates))

    def set_health(self, health: Mapping[str, Mapping[str, object]]) -> bool:
        """Replace the per-source health; return whether it changed."""
        fresh = {str(name): dict(fields) for name, fields in health.items()}
        if fresh == self._health:
            return False
        self._health = fresh
        return True

    def _seq_of(self, uid: str) -> int:
        known = self._feed.get(uid) or self._figures.get(uid)
        if known is not None:
            return known.seq
        self._seq += 1
        return self._seq

    def _apply_figures(self, update: Update, seq: int, now: float | None) -> None:
        if update.op is Op.DELETE or not _qualifies(update):
            # A delete, or an edit that lost its figures: the uid no longer counts.
            self._figures.pop(update.uid, None)
            return
        self._figures[update.uid] = _Seen(update, seq, now)
        if update.round is not None:
            self._rounds_seen.add(update.round)
        figures = update.figures
        assert figures is not None
        for name, _pct in sorted(figures.shares.items(), key=lambda item: -item[1]):
            self._candidates.setdefault(name, len(self._candidates))

    def _apply_feed(self, update: Update, seq: int, now: float | None) -> None:
        item = self._feed.get(update.uid)
        if update.op is Op.DELETE:
            if item is not None:
                item.deleted = True
                item.arrived = now
            return
        if item is None:
            self._feed[update.uid] = FeedItem(update, seq, now)
            if len(self._feed) >= 2 * self.feed_capacity:
                self._trim_feed()
            return
        changed = item.update.content_json() != update.content_json()
        if changed or item.deleted:
            # New content (or back from the dead): highlight it again.
            item.arrived = now
        item.edited = item.edited or update.op is Op.EDIT or changed
        item.deleted = False
        item.update = update

    def _trim_feed(self) -> None:
        """Forget the oldest items beyond the capacity (in one go: a long backlog stays linear)."""
        kept = self.feed(self.feed_capacity)
        self._feed = {item.update.uid: item for item in kept}

    # -- queries ----------------------------------------------------------------------------

    @property
    def night_round(self) -> int | None:
        """The round the board shows: the configured one, else the highest seen."""
        if self.round is not None:
            return self.round
        return max(self._rounds_seen, default=None)

    @property
    def health(self) -> dict[str, dict[str, object]]:
        """Per-source health, by source name."""
        return self._health

    def candidate_color(self, name: str) -> int:
        """The colour slot of a candidate (its order of first appearance)."""
        return self._candidates.get(name, len(self._candidates))

    def is_candidate(self, name: str) -> bool:
        """Whether ``name`` appears in the figures (a speaker may be anyone)."""
        return name in self._candidates

    def _in_round(self, update: Update) -> bool:
        night_round = self.night_round
        return update.round is None or night_round is None or update.round == night_round

    def _figures_of(self, kind: Kind, *, national: bool) -> list[_Seen]:
        return [
            seen
            for seen in self._figures.values()
            if seen.update.kind is kind
            and self._in_round(seen.update)
            and ((seen.update.figures or Figures()).scope == NATIONAL) == national
        ]

    def scoreboard(self) -> Scoreboard | None:
        """The latest national count (else estimate) of the round, or None before any."""
        counts = self._figures_of(Kind.COUNT, national=True)
        is_estimate = not counts
        candidates = counts or self._figures_of(Kind.ESTIMATE, national=True)
        if not candidates:
            return None
        latest = max(candidates, key=lambda seen: seen.rank)
        shares = (latest.update.figures or Figures()).shares
        previous: _Seen | None = None
        if not is_estimate:
            earlier = [
                seen
                for seen in counts
                if seen.rank < latest.rank
                and dict((seen.update.figures or Figures()).shares) != dict(shares)
            ]
            previous = max(earlier, key=lambda seen: seen.rank, default=None)
        before = (previous.update.figures or Figures()).shares if previous else {}
        rows = tuple(
            ShareRow(
                name=name,
                pct=pct,
                delta=round(pct - before[name], 2) if name in before else None,
                color=self.candidate_color(name),
            )
            for name, pct in sorted(shares.items(), key=lambda item: (-item[1], item[0]))
        )
        return Scoreboard(
            latest=latest.update,
            previous=previous.update if previous else None,
            is_estimate=is_estimate,
            rows=rows,
            arrived=latest.arrived,
        )

    def turnout_checkpoints(self) -> list[TurnoutCheckpoint]:
        """The national turnout checkpoints of the round, oldest first, one per ``as_of``."""
        groups: dict[str, _Seen] = {}
        for seen in self._figures_of(Kind.TURNOUT, national=True):
            figures = seen.update.figures or Figures()
            key = f"as_of:{figures.as_of}" if figures.as_of else f"uid:{seen.update.uid}"
            kept = groups.get(key)
            if kept is None or seen.rank > kept.rank:
                groups[key] = seen
        checkpoints = [
            TurnoutCheckpoint(_checkpoint_instant(seen.update), seen.update, seen.arrived)
            for seen in groups.values()
        ]
        checkpoints.sort(key=lambda checkpoint: (checkpoint.instant, checkpoint.update.at))
        return checkpoints

    def departments(self) -> list[DepartmentResult]:
        """The latest count and turnout of each département of the round, by name."""
        counts: dict[str, _Seen] = {}
        turnouts: dict[str, _Seen] = {}
        for kind, table in ((Kind.COUNT, counts), (Kind.TURNOUT, turnouts)):
            for seen in self._figures_of(kind, national=False):
                scope = (seen.update.figures or Figures()).scope
                kept = table.get(scope)
                if kept is None or seen.rank > kept.rank:
                    table[scope] = seen
        results: list[DepartmentResult] = []
        for scope in sorted(set(counts) | set(turnouts), key=lambda name: (fold(name), name)):
            count, turnout = counts.get(scope), turnouts.get(scope)
            arrivals = [seen.arrived for seen in (count, turnout) if seen and seen.arrived]
            results.append(
                DepartmentResult(
                    scope=scope,
                    count=count.update if count else None,
                    turnout=turnout.update if turnout else None,
                    arrived=max(arrivals, default=None),
                )
            )
        return results

    def feed(self, limit: int | None = None) -> list[FeedItem]:
        """The feed, newest first (by ``at``, then arrival), at most ``limit`` items.

        At most ``feed_capacity`` items are kept (up to twice as many between two trims).
        """
        limit = self.feed_capacity if limit is None else min(limit, self.feed_capacity)
        items = sorted(
            self._feed.values(), key=lambda item: (item.update.at, item.seq), reverse=True
        )
        return items[:limit]

    def __len__(self) -> int:
        return min(len(self._feed), self.feed_capacity)
