"""The night as tables a graphics desk uses: updates, results by scope, turnout, speeches. Pure.

:class:`NightExport` is fed the stream's updates in stream order (:meth:`NightExport.apply`)
and gives four :class:`Table` values (:meth:`NightExport.tables`), the same for every format
(``soiree export``, the broadcaster's ``/export/results.csv`` and ``.json``):

- ``updates``: every stream entry (adds, edits, deletes), with its stream id.
- ``results``: one row per scope x candidate: the current result of the night's round, national
  and by scope (share, votes and seats, each when stated), the board's seats when a count of
  seats alone gives them, and for each other round the same as history. What is current is
  decided by the board rule (:class:`ticker.board.night_board.NightBoard`), run once for the
  night's round and once per other round named by the updates (fed that round's updates
  only), never here.
- ``turnout``: the national turnout series of each round and the latest turnout of each scope.
- ``speeches``: every live (not deleted) speech, in its latest version, oldest first.

Scopes carry their level (:func:`ticker.board.scope_levels.scope_level`) and their official code
(:func:`ticker.export.scope_codes.scope_code`). ``as_of`` (:class:`AsOf`) keeps only the updates up
to a stream id, or up to a time of the night: the state at that moment.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from ingest.model.stream_ids import parse_stream_id
from ingest.model.update import Figures, Kind, Op, Update
from ticker.board.board_values import NATIONAL, Board, Point
from ticker.board.night_board import NightBoard
from ticker.board.scope_levels import scope_level
from ticker.export.scope_codes import scope_code

__all__ = ["TABLE_NAMES", "AsOf", "Column", "NightExport", "Table"]

#: The tables, in the order they are written.
TABLE_NAMES: Final = ("results", "turnout", "speeches", "updates")

Value = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its name and SQLite type (``TEXT``, ``REAL``, ``INTEGER``, ``BOOLEAN``)."""

    name: str
    type: str


@dataclass(frozen=True, slots=True)
class Table:
    """A table: its name, its columns and its rows (one value per column)."""

    name: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]

    def records(self) -> list[dict[str, Value]]:
        """The rows as objects keyed by column name."""
        names = [column.name for column in self.columns]
        return [dict(zip(names, row, strict=True)) for row in self.rows]


def _columns(spec: str) -> tuple[Column, ...]:
    """``"name TYPE, other TYPE"`` -> columns."""
    return tuple(Column(*item.split()) for item in spec.split(","))


_SCOPE: Final = "scope TEXT, scope_code TEXT, code_system TEXT, level TEXT"
RESULTS_COLUMNS: Final = _columns(
    "round INTEGER, " + _SCOPE + ", kind TEXT, candidate TEXT, pct REAL, votes INTEGER,"
    " seats INTEGER, seats_total INTEGER, counted_pct REAL,"
    " final BOOLEAN, at TEXT, sources TEXT, source_count INTEGER, disagreement BOOLEAN,"
    " stream_id TEXT"
)
TURNOUT_COLUMNS: Final = _columns(
    "round INTEGER, " + _SCOPE + ", at TEXT, as_of TEXT, voters INTEGER, voters_low INTEGER,"
    " voters_high INTEGER, rate_pct REAL, abstention_pct REAL, stations_pct REAL,"
    " change_pct REAL, previous_voters INTEGER, previous_stations_pct REAL, previous_rate_pct REAL,"
    " previous_round INTEGER, previous_year INTEGER, sources TEXT, stream_id TEXT"
)
SPEECHES_COLUMNS: Final = _columns(
    "uid TEXT, round INTEGER, at TEXT, speaker TEXT, source TEXT, text TEXT, stream_id TEXT"
)
UPDATES_COLUMNS: Final = _columns(
    "stream_id TEXT, uid TEXT, op TEXT, at TEXT, seen TEXT, source TEXT, kind TEXT,"
    " round INTEGER, speaker TEXT, scope TEXT, scope_code TEXT, counted_pct REAL, text TEXT,"
    " figures TEXT"
)


@dataclass(frozen=True, slots=True)
class AsOf:
    """The state at a moment: updates up to a stream id (``stream_id``) or a time (``at``)."""

    stream_id: str | None = None
    at: datetime | None = None

    def __post_init__(self) -> None:
        if (self.stream_id is None) == (self.at is None):
            raise ValueError("as of: give a stream id or a time, not both")
        if self.stream_id is not None:
            parse_stream_id(self.stream_id)  # ValueError with the reason
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("as of: the time must carry a time zone")

    def admits(self, update: Update) -> bool:
        """Whether ``update`` belongs to the state at this moment."""
        if self.at is not None:
            return update.at <= self.at
        assert self.stream_id is not None
        return update.id is not None and parse_stream_id(update.id) <= parse_stream_id(
            self.stream_id
        )

    def past(self, update: Update) -> bool:
        """Whether ``update`` and everything after it in the stream are past this moment."""
        return self.stream_id is not None and not self.admits(update)

    def __str__(self) -> str:
        return (
            self.stream_id if self.stream_id is not None else str(self.at and self.at.isoformat())
        )


#: A place of the night file (figures' ``scope_kind``): its board level and code system.
_LOCAL_SCOPES: Final = {
    "commune": ("commune", "insee-commune"),
    "canton": ("canton", "insee-canton"),
    "constituency": ("circonscription", "circonscription"),
}


def _scope_values(figures: Figures) -> tuple[Value, ...]:
    scope = figures.scope
    local = _LOCAL_SCOPES.get(figures.scope_kind or "")
    if local is not None:
        system = local[1] if figures.scope_code is not None else None
        return (scope, figures.scope_code, system, local[0])
    code = scope_code(scope)
    level = "national" if scope == NATIONAL else scope_level(scope)
    return (scope, code.code if code else None, code.system if code else None, level)


@dataclass(slots=True)
class NightExport:
    """The export's tables, from every update in stream order (see the module docstring)."""

    #: The night's round (None: the highest round the updates name), as for the board.
    round: int | None = None
    early_hour: int = 5
    as_of: AsOf | None = None
    #: Whether to keep every entry for the ``updates`` table (a broadcaster needs only results).
    keep_entries: bool = True
    _night: NightBoard = field(init=False)
    _by_round: dict[int, NightBoard] = field(default_factory=dict)
    _round_of: dict[str, int] = field(default_factory=dict)
    _latest: dict[str, Update] = field(default_factory=dict)
    _entries: list[Update] = field(default_factory=list)
    last_id: str | None = None

    def __post_init__(self) -> None:
        self._night = NightBoard(round=self.round, early_hour=self.early_hour)

    def apply(self, update: Update) -> bool:
        """Take one update (in stream order); False if ``as_of`` leaves it out."""
        if self.as_of is not None and not self.as_of.admits(update):
            return False
        if self.keep_entries:
            self._entries.append(update)
        if update.id is not None:
            self.last_id = update.id
        self._night.apply(update)
        before = self._round_of.pop(update.uid, None)
        if before is not None and before != update.round and update.op is not Op.DELETE:
            self._by_round[before].apply(update.as_delete(seen=update.seen))
        if update.round is not None:
            board = self._by_round.get(update.round)
            if board is None:
                board = self._by_round[update.round] = NightBoard(
                    round=update.round, early_hour=self.early_hour
                )
            board.apply(update)
            if update.op is not Op.DELETE:
                self._round_of[update.uid] = update.round
        if update.op is Op.DELETE:
            self._latest.pop(update.uid, None)
        else:
            self._latest[update.uid] = update
        return True

    def apply_all(self, updates: Iterable[Update]) -> None:
        """Apply several updates in stream order."""
        for update in updates:
            self.apply(update)

    @property
    def board(self) -> Board:
        """The night's board (the night's round) at this point of the stream."""
        return self._night.board()

    def boards(self) -> list[Board]:
        """The night's board, then each other round's, oldest round first."""
        night = self._night.board()
        others = [
            board.board()
            for rnd, board in sorted(self._by_round.items())
            if rnd != self._night.night_round
        ]
        return [night, *others]

    def tables(self) -> dict[str, Table]:
        """Every table, by name (in :data:`TABLE_NAMES` order)."""
        boards = self.boards()
        return {
            "results": Table("results", RESULTS_COLUMNS, self._results(boards)),
            "turnout": Table("turnout", TURNOUT_COLUMNS, self._turnout(boards)),
            "speeches": Table("speeches", SPEECHES_COLUMNS, self._speeches()),
            "updates": Table("updates", UPDATES_COLUMNS, self._updates()),
        }

    def results(self) -> Table:
        """The results table alone (what ``/export/results.*`` serves)."""
        return Table("results", RESULTS_COLUMNS, self._results(self.boards()))

    # -- rows ---------------------------------------------------------------------------------

    def _stream_id(self, point: Point) -> str | None:
        ids = [
            self._latest[uid].id
            for uid in point.uids
            if uid in self._latest and self._latest[uid].id is not None
        ]
        return max(ids, key=lambda value: parse_stream_id(value or "0"), default=None)

    def _result_rows(
        self, board: Board, point: Point, *, final: bool | None
    ) -> list[tuple[Value, ...]]:
        figures = point.figures
        shares, votes, seats = figures.shares, figures.votes, figures.seats
        names = sorted(
            set(shares) | set(votes) | set(seats),
            key=lambda name: (
                -shares.get(name, -1),
                -votes.get(name, -1),
                -seats.get(name, -1),
                name,
            ),
        )
        return [
            (
                board.round if point.round is None else point.round,
                *_scope_values(figures),
                point.kind.value,
                name,
                shares.get(name),
                votes.get(name),
                seats.get(name),
                figures.seats_total if name in seats else None,
                figures.counted_pct,
                final,
                point.at.isoformat(),
                ",".join(point.sources),
                len(point.sources),
                point.disagreement,
                self._stream_id(point),
            )
            for name in names
        ]

    def _results(self, boards: Sequence[Board]) -> tuple[tuple[Value, ...], ...]:
        rows: list[tuple[Value, ...]] = []
        for board in sorted(boards, key=lambda board: board.round or 0):
            if board.current is not None:
                rows += self._result_rows(board, board.current.point, final=board.current.final)
            # The seats alone (a count of seats is never the current result): their own rows.
            if board.seats is not None and (
                board.current is None or board.seats.uids != board.current.point.uids
            ):
                rows += self._result_rows(board, board.seats, final=None)
            for scope in board.scopes:
                if scope.count is not None:
                    rows += self._result_rows(board, scope.count, final=None)
        return tuple(rows)

    def _turnout_row(self, board: Board, point: Point) -> tuple[Value, ...]:
        figures = point.figures
        previous = figures.previous
        return (
            board.round if point.round is None else point.round,
            *_scope_values(figures),
            point.at.isoformat(),
            figures.as_of,
            figures.voters,
            figures.voters_low,
            figures.voters_high,
            figures.rate_pct,
            figures.abstention_pct,
            figures.stations_pct,
            figures.change_pct,
            previous.voters if previous else None,
            previous.stations_pct if previous else None,
            previous.rate_pct if previous else None,
            previous.round if previous else None,
            previous.year if previous else None,
            ",".join(point.sources),
            self._stream_id(point),
        )

    def _turnout(self, boards: Sequence[Board]) -> tuple[tuple[Value, ...], ...]:
        rows: list[tuple[Value, ...]] = []
        for board in sorted(boards, key=lambda board: board.round or 0):
            rows += [self._turnout_row(board, point) for point in board.turnout]
            rows += [
                self._turnout_row(board, scope.turnout)
                for scope in board.scopes
                if scope.turnout is not None
            ]
        return tuple(rows)

    def _speeches(self) -> tuple[tuple[Value, ...], ...]:
        speeches = sorted(
            (update for update in self._latest.values() if update.kind is Kind.SPEECH),
            key=lambda update: (update.at, parse_stream_id(update.id or "0")),
        )
        return tuple(
            (u.uid, u.round, u.at.isoformat(), u.speaker, u.source, u.text, u.id) for u in speeches
        )

    def _updates(self) -> tuple[tuple[Value, ...], ...]:
        rows: list[tuple[Value, ...]] = []
        for u in self._entries:
            figures = u.figures
            scope = figures.scope if figures else None
            code = scope_code(scope) if scope else None
            rows.append(
                (
                    u.id,
                    u.uid,
                    u.op.value,
                    u.at.isoformat(),
                    u.seen.isoformat(),
                    u.source,
                    u.kind.value,
                    u.round,
                    u.speaker,
                    scope,
                    code.code if code else None,
                    figures.counted_pct if figures else None,
                    u.text,
                    None
                    if figures is None
                    else json.dumps(figures.to_json(), ensure_ascii=False, sort_keys=True),
                )
            )
        return tuple(rows)
