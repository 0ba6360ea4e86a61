"""What the terminal ticker shows, built from updates: the board, the feed, source health.

Pure: the ticker's feed (Redis or a broadcaster) hands every update it reads, in stream order,
to :meth:`BoardState.apply`; the renderables read it through its queries. Nothing here does
I/O or knows about the terminal.

- The **board** (current result, turnout, results by scope, state of the night) is never
  decided here: it is :mod:`ticker.board`'s, computed from the updates read (the ticker on
  Redis) or, over ``--ws``, the board the broadcaster served (:meth:`BoardState.serve`).
- The **feed** holds every update, newest first (by ``at``, then arrival); an ``edit`` replaces
  its uid's item in place, a ``delete`` marks it deleted (shown struck through). Items that
  arrive live carry their arrival time, so a renderer can highlight them for a few seconds.
  Updates the board groups as one point of several sources that agree show once, with their
  sources; those of sources that disagree are flagged.
- ``kinds`` / ``sources`` filters (:class:`ticker.wire.client_filter.Filter`) apply to what is
  read; a served board is the broadcaster's, for the whole stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from ingest.model.update import Kind, Op, Update
from ticker.board.board_values import Board
from ticker.board.night_board import NightBoard
from ticker.wire.client_filter import Filter

__all__ = ["BoardState", "FeedItem"]

#: Feed items kept in memory; the oldest go first.
DEFAULT_FEED_CAPACITY: Final = 1000


@dataclass(slots=True)
class FeedItem:
    """One item of the feed: the latest content of a uid."""

    update: Update
    seq: int
    #: When it (or its latest edit or delete) came in live; None for the backlog.
    arrived: float | None
    edited: bool = False
    deleted: bool = False
    #: The sources stating the same point (more than one: "2 sources"); set by :meth:`feed`.
    sources: tuple[str, ...] = ()
    #: Whether other sources state a different figure for the same point.
    disputed: bool = False


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
    #: Show the board a broadcaster serves (:meth:`serve`) rather than compute it.
    relayed: bool = False
    _seq: int = 0
    _rule: NightBoard = field(default_factory=NightBoard)
    _served: Board | None = None
    _feed: dict[str, FeedItem] = field(default_factory=dict)
    _candidates: dict[str, int] = field(default_factory=dict)
    _health: dict[str, dict[str, object]] = field(default_factory=dict)
    _annotated: set[str] = field(default_factory=set)
    #: The alerts (kind ``alert``) applied, in stream order, and how many were acknowledged.
    alerts: list[Update] = field(default_factory=list)
    acknowledged: int = 0

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
        new_alert = update.kind is Kind.ALERT and update.uid not in {a.uid for a in self.alerts}
        if new_alert:
            self.alerts.append(update)  # the banner shows every alert, whatever --kinds says
        if not self.accepts(update):
            return new_alert
        self.applied += 1
        seq = self._seq_of(update.uid)
        if not self.relayed:
            self._rule.round = self.round
            self._rule.apply(update)
        if update.figures is not None:
            self.add_candidates(
                name for name, _ in sorted(update.figures.shares.items(), key=lambda i: -i[1])
            )
        self._apply_feed(update, seq, now)
        return True

    def latest(self, uid: str) -> Update | None:
        """The latest content of ``uid`` in the feed (None: not there, or trimmed)."""
        item = self._feed.get(uid)
        return None if item is None else item.update

    def unacknowledged(self) -> list[Update]:
        """The alerts not acknowledged yet, oldest first (the banner shows the newest)."""
        return self.alerts[self.acknowledged :]

    def acknowledge(self) -> bool:
        """Acknowledge every alert shown (the ``a`` key); return whether any was pending."""
        pending = self.acknowledged < len(self.alerts)
        self.acknowledged = len(self.alerts)
        return pending

    def apply_all(self, updates: Iterable[Update], *, now: float | None = None) -> bool:
        """Apply several updates; return whether any changed the board."""
        changed = False
        for update in updates:
            changed = self.apply(update, now=now) or changed
        return changed

    def serve(self, board: Board) -> bool:
        """Show ``board``, served by a broadcaster; return whether it changed."""
        self.relayed = True
        if board == self._served:
            return False
        self._served = board
        return True

    @property
    def candidates(self) -> tuple[str, ...]:
        """The candidates known so far, the night's list first, in their colour order."""
        return tuple(sorted(self._candidates, key=self._candidates.__getitem__))

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
        known = self._feed.get(uid)
        if known is not None:
            return known.seq
        self._seq += 1
        return self._seq

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
        kept = sorted(self._feed.values(), key=lambda item: (item.update.at, item.seq))
        self._feed = {item.update.uid: item for item in kept[-self.feed_capacity :]}

    # -- queries ----------------------------------------------------------------------------

    def board(self) -> Board:
        """The night's board: served by the broadcaster (``--ws``), else the rule's."""
        if self.relayed:
            return self._served if self._served is not None else Board(round=self.round)
        self._rule.round = self.round
        return self._rule.board()

    @property
    def night_round(self) -> int | None:
        """The round the board shows."""
        return self.board().round

    def arrived(self, uids: Iterable[str]) -> float | None:
        """When the latest of these updates came in live (None: all from the backlog)."""
        times = [
            item.arrived
            for uid in uids
            if (item := self._feed.get(uid)) is not None and item.arrived is not None
        ]
        return max(times, default=None)

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

    def feed(self, limit: int | None = None) -> list[FeedItem]:
        """The feed, newest first (by ``at``, then arrival), at most ``limit`` items.

        At most ``feed_capacity`` items are kept (up to twice as many between two trims).
        """
        limit = self.feed_capacity if limit is None else min(limit, self.feed_capacity)
        hidden: set[str] = set()
        for uid in self._annotated:
            if (item := self._feed.get(uid)) is not None:
                item.sources, item.disputed = (), False
        self._annotated = set()
        for group in self.board().groups:
            present = [uid for uid in group.uids if uid in self._feed]
            self._annotated.update(present)
            for uid in present:
                item = self._feed[uid]
                item.sources = group.sources if group.agree else (item.update.source,)
                item.disputed = not group.agree
            if group.agree:
                hidden.update(present[1:])
        items = sorted(
            (item for uid, item in self._feed.items() if uid not in hidden),
            key=lambda item: (item.update.at, item.seq),
            reverse=True,
        )
        return items[:limit]

    def __len__(self) -> int:
        return min(len(self._feed), self.feed_capacity)
