"""The board as values: what :class:`ticker.board.night_board.NightBoard` computes and every
view of the night shows (points, the current result, results by scope, speeches). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from ingest.model.update import Figures, Kind
from ticker.board.scope_levels import LOCAL_LEVELS, scope_level

__all__ = [
    "NATIONAL",
    "Board",
    "CurrentResult",
    "NightState",
    "Point",
    "ScopeResult",
    "ShareLine",
    "SourceGroup",
    "Speech",
    "Variant",
    "leader_of",
]

NATIONAL: Final = "national"


class NightState(StrEnum):
    """Where the night stands."""

    BEFORE_CLOSE = "before_close"
    COUNTING = "counting"
    FINAL = "final"
    OVER = "over"


@dataclass(frozen=True, slots=True)
class ShareLine:
    """One candidate's share, and its change since the point compared with (points)."""

    name: str
    pct: float
    delta: float | None = None


@dataclass(frozen=True, slots=True)
class Variant:
    """One figure stated for a point, and the sources that state it."""

    figures: Figures
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Point:
    """Figures standing for one time and scope, with every source that gives them."""

    kind: Kind
    round: int | None
    at: datetime
    figures: Figures
    sources: tuple[str, ...]
    uids: tuple[str, ...]
    #: More than one when the sources disagree: each figure with its sources.
    variants: tuple[Variant, ...] = ()
    #: The figure before a correction (an edit that changed it), else None.
    corrected: Figures | None = None

    @property
    def disagreement(self) -> bool:
        """Whether the sources state different figures for this point."""
        return len(self.variants) > 1


@dataclass(frozen=True, slots=True)
class CurrentResult:
    """The result the board shows as current: a count, or before any count an estimate."""

    point: Point
    rows: tuple[ShareLine, ...]
    final: bool = False
    institute: str | None = None
    #: The earlier count the ``delta`` of each row compares with.
    compared_to: Point | None = None

    @property
    def is_estimate(self) -> bool:
        """Whether this is an estimate (no count yet)."""
        return self.point.kind is Kind.ESTIMATE


def leader_of(figures: Figures) -> str | None:
    """Who leads a count: the highest share, else the most votes, else the most seats."""
    for standing in (figures.shares, figures.votes, figures.seats):
        if standing:
            return max(standing.items(), key=lambda item: (item[1], item[0]))[0]
    return None


@dataclass(frozen=True, slots=True)
class ScopeResult:
    """The latest count and turnout of one scope other than national."""

    scope: str
    count: Point | None
    turnout: Point | None

    @property
    def level(self) -> str:
        """``département``, ``outre-mer``, ``étranger`` or ``région`` (:func:`scope_level`);
        ``commune``, ``canton`` or ``circonscription`` for a place of the night file (its
        figures' ``scope_kind``)."""
        for point in (self.count, self.turnout):
            if point is not None and point.figures.scope_kind is not None:
                return LOCAL_LEVELS.get(point.figures.scope_kind, point.figures.scope_kind)
        return scope_level(self.scope)

    @property
    def margin(self) -> float | None:
        """Points between the first and the second candidate (the first's share if alone);
        None without shares."""
        if self.count is None or not self.count.figures.shares:
            return None
        shares = sorted(self.count.figures.shares.values(), reverse=True)
        return round(shares[0] - (shares[1] if len(shares) > 1 else 0.0), 2)

    @property
    def leader(self) -> str | None:
        """The candidate or list ahead by share, else by votes, else by seats; None without."""
        if self.count is None:
            return None
        return leader_of(self.count.figures)


@dataclass(frozen=True, slots=True)
class Speech:
    """A speech quoted during the night."""

    uid: str
    at: datetime
    speaker: str | None
    text: str


@dataclass(frozen=True, slots=True)
class SourceGroup:
    """Updates that state one point: shown once ("2 sources"), or flagged when they differ."""

    uids: tuple[str, ...]
    sources: tuple[str, ...]
    agree: bool


@dataclass(frozen=True, slots=True)
class Board:
    """The night's board at one moment."""

    round: int | None = None
    state: NightState = NightState.BEFORE_CLOSE
    current: CurrentResult | None = None
    #: The latest national count or estimate of each other round: history, never current.
    history: tuple[Point, ...] = ()
    turnout: tuple[Point, ...] = ()
    #: The national count points of the round, oldest first: the shares as counting goes.
    progress: tuple[Point, ...] = ()
    scopes: tuple[ScopeResult, ...] = ()
    speeches: tuple[Speech, ...] = ()
    groups: tuple[SourceGroup, ...] = ()
    #: The latest national count point of the round that gives seats (a council, an
    #: assembly: ``figures.seats`` and ``seats_total``), or None.
    seats: Point | None = None
