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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from ingest.model.update import Kind, Op, Update
from ticker.board.board_values import (
    NATIONAL,
    Board,
    CurrentResult,
    NightState,
    Point,
    ScopeResult,
    ShareLine,
    SourceGroup,
    Speech,
)
from ticker.board.corroboration import (
    PointKey,
    Seen,
    ViewKey,
    build_point,
    carries_figures,
    figures_signature,
    point_time,
    view_key,
)
from ticker.board.scope_views import scope_views
from ticker.board.text_clues import CLOSE_PATTERN, institute_of, is_final_count

__all__ = ["SPEECHES_KEPT", "NightBoard"]

SPEECHES_KEPT: Final = 12


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
    _figures: dict[ViewKey, Seen] = field(default_factory=dict)
    _views_of: dict[str, tuple[ViewKey, ...]] = field(default_factory=dict)
    _speeches: dict[str, Seen] = field(default_factory=dict)
    _closing: dict[str, Seen] = field(default_factory=dict)
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
        closes = update.kind is Kind.MILESTONE and bool(CLOSE_PATTERN.search(update.text))
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
        views = [view for view in views if carries_figures(view)]
        before = self._views_of.pop(update.uid, ())
        after = tuple(view_key(view) for view in views)
        known_seq = next((self._figures[key].seq for key in before), self._seq)
        for key in set(before) - set(after):
            del self._figures[key]
        for view in views:
            assert view.figures is not None
            key = view_key(view)
            known = self._figures.get(key)
            corrected = known.corrected if known else None
            if (
                known is not None
                and known.update.figures is not None
                and figures_signature(known.update.figures) != figures_signature(view.figures)
            ):
                corrected = known.update.figures
            self._figures[key] = Seen(view, known_seq, corrected)
        if after:
            self._views_of[update.uid] = after
        return bool(before or after)

    def _apply_kind(
        self, update: Update, kind: Kind, table: dict[str, Seen], *, only: bool = True
    ) -> bool:
        if update.op is Op.DELETE or update.kind is not kind or not only:
            return table.pop(update.uid, None) is not None
        known = table.get(update.uid)
        table[update.uid] = Seen(update, known.seq if known else self._seq)
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
        points: dict[PointKey, list[Seen]] = {}
        for seen in self._figures.values():
            update = seen.update
            assert update.figures is not None
            # An update that names no round is taken as the night's: a liveblog that does not
            # say "second tour" and a results feed that does state one point together.
            rnd = update.round if update.round is not None else night_round
            key = (update.kind, rnd, update.figures.scope, point_time(update))
            points.setdefault(key, []).append(seen)
        built = {key: build_point(key[0], members) for key, members in points.items()}

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
    def _history(built: Mapping[PointKey, Point], night_round: int | None) -> tuple[Point, ...]:
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
