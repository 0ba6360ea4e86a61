"""The board rule: from the night's updates to what the newsroom reads aloud. Pure, once.

Every view of the night (the broadcaster's ``snapshot`` and ``board`` messages, hence the web
page and ``soiree ticker --ws``; the terminal ticker reading Redis) shows the :class:`Board`
that :class:`NightBoard` computes here, and nothing else decides what is current. No I/O.

The rule (``docs/protocol.md``, "board"):

- **Figures** are the live (not deleted) ``count`` and ``estimate`` updates that carry shares,
  and the ``turnout`` updates that carry a turnout figure, for every scope an update states
  (``figures`` and each of ``more_figures``: :func:`ticker.board.scope_views.scope_views`). An
  edit replaces its uid's figures
  (a changed figure is *corrected*: the previous value is kept beside it); a delete removes it.
- **Corroboration.** Figures of the same kind, scope and round standing for the same time (a
  count's or estimate's minute; a turnout's ``as_of``, else its minute) are one *point*. Within a
  point each source counts once (its latest report). When every source states the same figure
  the point lists its sources ("2 sources"); when they differ, each variant is kept with its
  sources and the point is flagged as a disagreement.
- **Current result**: the latest national count point of the night's round; once a *final*
  count exists (``counted_pct`` 100, or a text calling it the national, final or definitive
  result), the latest final one. Before any count, the latest national estimate point, with the
  polling institute its text names. Figures of another round are *history*, never current.
  Share changes compare with the previous count point whose shares differ.
- **Turnout**: the national turnout points of the round, in time order, each with its
  comparison (``previous``, merged over the sources) and its change (stated, else computed).
- **Results by scope**: the latest count and turnout point of each non-national scope.
- **Speeches**: the ``speech`` updates of the round, newest first (at most ``SPEECHES_KEPT``).
- **State of the night**: ``before_close``; ``counting`` once a milestone says the polls close
  or an estimate or count of the round with figures is in; ``final`` once a final count is in;
  ``over`` when, after that, an update of the next morning (from ``early_hour``) is in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from ingest.extraction.departements import departement_named
from ingest.extraction.territories import territory_level
from ingest.model.night import fold
from ingest.model.update import Figures, Kind, Op, Previous, Update
from ticker.board.scope_views import has_turnout, scope_views

__all__ = [
    "NATIONAL",
    "Board",
    "CurrentResult",
    "NightBoard",
    "NightState",
    "Point",
    "ScopeResult",
    "ShareLine",
    "SourceGroup",
    "Speech",
    "Variant",
    "institute_of",
    "is_final_count",
    "scope_level",
]

NATIONAL: Final = "national"
SPEECHES_KEPT: Final = 12

_INSTITUTES: Final = (
    "OpinionWay",
    "Ifop",
    "Ipsos",
    "Elabe",
    "Harris Interactive",
    "BVA",
    "Odoxa",
    "Kantar",
    "TNS Sofres",
    "Viavoice",
    "CSA",
)
_INSTITUTE_PATTERN: Final = re.compile(
    r"\b(" + "|".join(re.escape(name) for name in _INSTITUTES) + r")\b", re.IGNORECASE
)
_FINAL_PATTERN: Final = re.compile(
    r"r[ée]sultats?\s+(?:national|final|finaux|d[ée]finitif|officiel)"
    r"|(?:quasi[\s-]?)?d[ée]finitifs?\b",
    re.IGNORECASE,
)
_CLOSE_PATTERN: Final = re.compile(r"\bferm|\bcl[ôo]tur", re.IGNORECASE)


class NightState(StrEnum):
    """Where the night stands."""

    BEFORE_CLOSE = "before_close"
    COUNTING = "counting"
    FINAL = "final"
    OVER = "over"


def institute_of(text: str) -> str | None:
    """The polling institute an estimate's text names (``"OpinionWay"``), or None."""
    match = _INSTITUTE_PATTERN.search(text)
    if match is None:
        return None
    found = match.group(1).casefold()
    return next(name for name in _INSTITUTES if name.casefold() == found)


def is_final_count(update: Update) -> bool:
    """Whether a count is the final result: all counted, or its text says so."""
    figures = update.figures
    if figures is None or update.kind is not Kind.COUNT:
        return False
    if figures.counted_pct is not None:
        return figures.counted_pct >= 100
    return _FINAL_PATTERN.search(update.text) is not None


# -- the board, as values -----------------------------------------------------------------------


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


def scope_level(scope: str) -> str:
    """What kind of place a scope is: ``département``, ``outre-mer``, ``étranger``, ``ville``
    (Lyon, Marseille) or ``région`` (a région, or any other name a source gives)."""
    departement = departement_named(scope)
    if departement is not None:
        return "outre-mer" if departement.code.startswith("97") else "département"
    level = territory_level(scope)
    if level is not None:
        return level
    folded = fold(scope).casefold()
    if "etranger" in folded or "hors de france" in folded:
        return "étranger"
    if "outre-mer" in folded or "outre mer" in folded:
        return "outre-mer"
    return "région"


#: The board's level of a place of the night file, by its ``scope_kind``.
_LOCAL_LEVELS: Final = {"commune": "commune", "canton": "canton", "constituency": "circonscription"}


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
                return _LOCAL_LEVELS.get(point.figures.scope_kind, point.figures.scope_kind)
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


# -- the rule ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Seen:
    update: Update
    seq: int
    corrected: Figures | None = None


def _carries_figures(update: Update) -> bool:
    figures = update.figures
    if figures is None:
        return False
    if update.kind in (Kind.COUNT, Kind.ESTIMATE):
        return bool(figures.shares or figures.votes or figures.seats)
    return update.kind is Kind.TURNOUT and has_turnout(figures)


def _minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


def point_time(update: Update) -> datetime:
    """When a figure stands: a turnout's ``as_of`` on its day (or the day before), else ``at``."""
    figures = update.figures
    if update.kind is not Kind.TURNOUT or figures is None or figures.as_of is None:
        return _minute(update.at)
    hour, minute = (int(part) for part in figures.as_of.split(":"))
    instant = update.at.replace(hour=hour, minute=minute, second=0, microsecond=0)
    # "à 23h" published at 00:10 stands the day before.
    return instant - timedelta(days=1) if instant > update.at + timedelta(hours=1) else instant


def _signature(figures: Figures) -> tuple[object, ...]:
    """What two sources must both state to agree (not how they compare it: ``previous``)."""
    return (
        tuple(sorted(figures.shares.items())),
        tuple(sorted(figures.votes.items())),
        tuple(sorted(figures.seats.items())),
        figures.seats_total,
        figures.counted_pct,
        figures.voters,
        figures.voters_low,
        figures.voters_high,
        figures.stations_pct,
        figures.change_pct,
        figures.rate_pct,
        figures.abstention_pct,
        figures.blank_pct,
        figures.null_pct,
    )


def _agree(one: tuple[object, ...], other: tuple[object, ...]) -> bool:
    """Whether two signatures state the same figures: a figure only one of them states (the
    counted share a results feed gives and a liveblog leaves out) is no disagreement."""
    return all(
        a == b or a in (None, ()) or b in (None, ()) for a, b in zip(one, other, strict=True)
    )


_PointKey = tuple[Kind, int | None, str, datetime]
_ViewKey = tuple[str, str, Kind]


def _view_key(view: Update) -> _ViewKey:
    assert view.figures is not None
    return (view.uid, view.figures.scope, view.kind)


def _point(kind: Kind, members: list[_Seen]) -> Point:
    """One point from its updates (one kind, round, scope and time)."""
    latest_by_source: dict[str, _Seen] = {}
    for seen in sorted(members, key=lambda seen: (seen.update.at, seen.seq)):
        latest_by_source[seen.update.source] = seen
    chosen = list(latest_by_source.values())
    newest = max(chosen, key=lambda seen: (seen.update.at, seen.seq))
    variants: dict[tuple[object, ...], list[_Seen]] = {}
    for seen in chosen:
        assert seen.update.figures is not None
        signature = _signature(seen.update.figures)
        same = next((known for known in variants if _agree(known, signature)), signature)
        variants.setdefault(same, []).append(seen)
    figures = newest.update.figures
    assert figures is not None
    previous = next(
        (
            s.update.figures.previous
            for s in chosen
            if s.update.figures and s.update.figures.previous
        ),
        None,
    )
    if figures.previous is None and previous is not None:
        figures = _with_previous(figures, previous)
    elif figures.previous is not None and figures.previous.round is None:
        rounds = [
            s.update.figures.previous.round
            for s in chosen
            if s.update.figures and s.update.figures.previous and s.update.figures.previous.round
        ]
        if rounds:
            figures = _with_previous(
                figures,
                Previous(
                    voters=figures.previous.voters,
                    stations_pct=figures.previous.stations_pct,
                    round=rounds[0],
                ),
            )
    return Point(
        kind=kind,
        round=newest.update.round,
        at=point_time(newest.update),
        figures=figures,
        sources=tuple(sorted(latest_by_source)),
        uids=tuple(seen.update.uid for seen in sorted(chosen, key=lambda seen: seen.seq)),
        variants=tuple(
            Variant(
                group[0].update.figures or Figures(), tuple(sorted(s.update.source for s in group))
            )
            for group in variants.values()
        )
        if len(variants) > 1
        else (),
        corrected=newest.corrected,
    )


def _with_previous(figures: Figures, previous: Previous) -> Figures:
    data = figures.to_json()
    data["previous"] = previous.to_json()
    return Figures.from_json(data)


def _rows(shares: Mapping[str, float], before: Mapping[str, float]) -> tuple[ShareLine, ...]:
    return tuple(
        ShareLine(name, pct, round(pct - before[name], 2) if name in before else None)
        for name, pct in sorted(shares.items(), key=lambda item: (-item[1], item[0]))
    )


@dataclass(slots=True)
class NightBoard:
    """The board rule, fed every update in stream order; :meth:`board` is the night's board."""

    #: The night's round; None: the highest round the updates name.
    round: int | None = None
    #: Times before this hour belong to the night before (the morning after ends the night).
    early_hour: int = 5
    _seq: int = 0
    #: Figures by (uid, scope, kind): an update stating several scopes is one view per scope
    #: (and per kind of figure, for a scope of ``more_figures``).
    _figures: dict[_ViewKey, _Seen] = field(default_factory=dict)
    _views_of: dict[str, tuple[_ViewKey, ...]] = field(default_factory=dict)
    _speeches: dict[str, _Seen] = field(default_factory=dict)
    _closing: dict[str, _Seen] = field(default_factory=dict)
    _rounds: set[int] = field(default_factory=set)
    _latest_at: datetime | None = None
    _cached: Board | None = None

    def apply(self, update: Update) -> bool:
        """Take one update; return whether the board may have changed.

        An alert (kind ``alert``, ``docs/alerts.md``) is about the night, not of it: its time
        (a source's alert is stamped with the wall clock) never moves the night on.
        """
        if update.kind is Kind.ALERT:
            return False
        self._seq += 1
        changed = False
        if update.round is not None and update.round not in self._rounds:
            self._rounds.add(update.round)
            changed = self.round is None  # the night's round, when not configured
        latest = self._latest_at
        if latest is None or update.at > latest:
            self._latest_at = update.at
            # Only the day matters (the morning after ends the night).
            changed = changed or (latest is not None and update.at.date() != latest.date())
        changed = self._apply_figures(update) or changed
        changed = self._apply_kind(update, Kind.SPEECH, self._speeches) or changed
        closes = update.kind is Kind.MILESTONE and bool(_CLOSE_PATTERN.search(update.text))
        changed = self._apply_kind(update, Kind.MILESTONE, self._closing, only=closes) or changed
        if changed:
            self._cached = None
        return changed

    def apply_all(self, updates: Iterable[Update]) -> None:
        """Apply several updates in order."""
        for update in updates:
            self.apply(update)

    def _apply_figures(self, update: Update) -> bool:
        views = [] if update.op is Op.DELETE else scope_views(update)
        views = [view for view in views if _carries_figures(view)]
        before = self._views_of.pop(update.uid, ())
        after = tuple(_view_key(view) for view in views)
        known_seq = next((self._figures[key].seq for key in before), self._seq)
        for key in set(before) - set(after):
            del self._figures[key]
        for view in views:
            assert view.figures is not None
            key = _view_key(view)
            known = self._figures.get(key)
            corrected = known.corrected if known else None
            if (
                known is not None
                and known.update.figures is not None
                and _signature(known.update.figures) != _signature(view.figures)
            ):
                corrected = known.update.figures
            self._figures[key] = _Seen(view, known_seq, corrected)
        if after:
            self._views_of[update.uid] = after
        return bool(before or after)

    def _apply_kind(
        self, update: Update, kind: Kind, table: dict[str, _Seen], *, only: bool = True
    ) -> bool:
        if update.op is Op.DELETE or update.kind is not kind or not only:
            return table.pop(update.uid, None) is not None
        known = table.get(update.uid)
        table[update.uid] = _Seen(update, known.seq if known else self._seq)
        return True

    @property
    def night_round(self) -> int | None:
        """The round the board is about: the configured one, else the highest seen."""
        return self.round if self.round is not None else max(self._rounds, default=None)

    def board(self) -> Board:
        """The board now (computed once per change)."""
        if self._cached is None:
            self._cached = self._compute()
        return self._cached

    def _compute(self) -> Board:
        night_round = self.night_round
        points: dict[_PointKey, list[_Seen]] = {}
        for seen in self._figures.values():
            update = seen.update
            assert update.figures is not None
            # An update that names no round is taken as the night's: a liveblog that does not
            # say "second tour" and a results feed that does state one point together.
            rnd = update.round if update.round is not None else night_round
            key = (update.kind, rnd, update.figures.scope, point_time(update))
            points.setdefault(key, []).append(seen)
        built = {key: _point(key[0], members) for key, members in points.items()}

        def of_round(kind: Kind, *, national: bool) -> list[Point]:
            chosen = [
                point
                for (k, rnd, scope, _), point in built.items()
                if k is kind
                and (rnd is None or night_round is None or rnd == night_round)
                and (scope == NATIONAL) == national
            ]
            return sorted(chosen, key=lambda point: (point.at, max(self._seq_of(point))))

        every_count = of_round(Kind.COUNT, national=True)
        # Seats alone ("35 sièges sur 53") are no shares to show as the current result.
        counts = [point for point in every_count if point.figures.shares]
        seats = [point for point in every_count if point.figures.seats]
        estimates = of_round(Kind.ESTIMATE, national=True)
        finals = [point for point in counts if self._is_final(point)]
        current = self._current(counts, finals, estimates)
        return Board(
            round=night_round,
            state=self._state(counts, estimates, finals),
            current=current,
            history=self._history(built, night_round),
            turnout=tuple(of_round(Kind.TURNOUT, national=True)),
            progress=tuple(counts),
            scopes=self._scopes(
                of_round(Kind.COUNT, national=False), of_round(Kind.TURNOUT, national=False)
            ),
            speeches=self._speeches_of(night_round),
            seats=seats[-1] if seats else None,
            groups=tuple(
                SourceGroup(point.uids, point.sources, not point.disagreement)
                for point in sorted(built.values(), key=lambda point: (point.at, point.uids))
                if len(point.uids) > 1
            ),
        )

    def _seq_of(self, point: Point) -> list[int]:
        keys = [(uid, point.figures.scope, point.kind) for uid in point.uids]
        return [self._figures[key].seq for key in keys if key in self._figures]

    def _is_final(self, point: Point) -> bool:
        return any(
            is_final_count(self._figures[key].update)
            for key in ((uid, point.figures.scope, point.kind) for uid in point.uids)
            if key in self._figures
        )

    def _current(
        self, counts: list[Point], finals: list[Point], estimates: list[Point]
    ) -> CurrentResult | None:
        if counts:
            shown = (finals or counts)[-1]
            earlier = [
                point
                for point in counts
                if point.at < shown.at and dict(point.figures.shares) != dict(shown.figures.shares)
            ]
            compared = earlier[-1] if earlier else None
            before = compared.figures.shares if compared else {}
            return CurrentResult(
                point=shown,
                rows=_rows(shown.figures.shares, before),
                final=bool(finals),
                compared_to=compared,
            )
        if not estimates:
            return None
        shown = estimates[-1]
        keys = [(uid, shown.figures.scope, shown.kind) for uid in shown.uids]
        texts = [self._figures[key].update.text for key in keys if key in self._figures]
        institute = next((name for name in map(institute_of, texts) if name), None)
        return CurrentResult(point=shown, rows=_rows(shown.figures.shares, {}), institute=institute)

    def _state(
        self, counts: list[Point], estimates: list[Point], finals: list[Point]
    ) -> NightState:
        if finals:
            final_day = finals[0].at.date()
            latest = self._latest_at
            if latest is not None and latest.date() > final_day and latest.hour >= self.early_hour:
                return NightState.OVER
            return NightState.FINAL
        night_round = self.night_round
        closed = any(seen.update.round in (None, night_round) for seen in self._closing.values())
        return NightState.COUNTING if counts or estimates or closed else NightState.BEFORE_CLOSE

    @staticmethod
    def _history(built: Mapping[_PointKey, Point], night_round: int | None) -> tuple[Point, ...]:
        latest: dict[int, Point] = {}
        for (kind, rnd, scope, _), point in built.items():
            if kind is Kind.TURNOUT or scope != NATIONAL or rnd is None or rnd == night_round:
                continue
            kept = latest.get(rnd)
            if kept is None or point.at > kept.at:
                latest[rnd] = point
        return tuple(latest[rnd] for rnd in sorted(latest))

    @staticmethod
    def _scopes(counts: list[Point], turnouts: list[Point]) -> tuple[ScopeResult, ...]:
        count_of = {point.figures.scope: point for point in counts}  # sorted: the latest wins
        turnout_of = {point.figures.scope: point for point in turnouts}
        scopes = sorted(set(count_of) | set(turnout_of), key=lambda name: (name.casefold(), name))
        return tuple(ScopeResult(name, count_of.get(name), turnout_of.get(name)) for name in scopes)

    def _speeches_of(self, night_round: int | None) -> tuple[Speech, ...]:
        kept = [
            seen
            for seen in self._speeches.values()
            if seen.update.round is None or night_round is None or seen.update.round == night_round
        ]
        kept.sort(key=lambda seen: (seen.update.at, seen.seq), reverse=True)
        return tuple(
            Speech(s.update.uid, s.update.at, s.update.speaker, s.update.text)
            for s in kept[:SPEECHES_KEPT]
        )
