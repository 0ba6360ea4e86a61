"""The board's JSON form: what the broadcaster sends in ``snapshot`` and ``board`` messages.

Pure. :func:`board_to_json` writes a :class:`ticker.board.board_values.Board` as the object
documented in ``docs/protocol.md`` ("board") and ``docs/protocol.schema.json``;
:func:`board_from_json` reads one back (``soiree ticker --ws``), refusing anything else with
:class:`BoardError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ingest.model.update import Figures, Kind, UpdateError, parse_instant
from ticker.board.board_values import (
    Board,
    CurrentResult,
    NightState,
    Point,
    ScopeResult,
    ShareLine,
    SourceGroup,
    Speech,
    Variant,
)

__all__ = ["BoardError", "board_from_json", "board_to_json"]


class BoardError(ValueError):
    """A board's JSON (from a broadcaster) does not have the documented form."""


def _point_json(point: Point) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": point.kind.value,
        "round": point.round,
        "at": point.at.isoformat(),
        "figures": point.figures.to_json(),
        "sources": list(point.sources),
        "uids": list(point.uids),
    }
    if point.variants:
        data["variants"] = [
            {"figures": v.figures.to_json(), "sources": list(v.sources)} for v in point.variants
        ]
    if point.corrected is not None:
        data["corrected"] = point.corrected.to_json()
    return data


def board_to_json(board: Board) -> dict[str, Any]:
    """The board's JSON object."""
    current: dict[str, Any] | None = None
    if board.current is not None:
        shown = board.current
        current = {
            **_point_json(shown.point),
            "rows": [{"name": row.name, "pct": row.pct, "delta": row.delta} for row in shown.rows],
            "final": shown.final,
            "institute": shown.institute,
            "compared_to": None if shown.compared_to is None else _point_json(shown.compared_to),
        }
    return {
        "round": board.round,
        "state": board.state.value,
        "current": current,
        "history": [_point_json(point) for point in board.history],
        "turnout": [_point_json(point) for point in board.turnout],
        "progress": [_point_json(point) for point in board.progress],
        "scopes": [
            {
                "scope": scope.scope,
                "count": None if scope.count is None else _point_json(scope.count),
                "turnout": None if scope.turnout is None else _point_json(scope.turnout),
                "level": scope.level,
                "leader": scope.leader,
                "margin": scope.margin,
            }
            for scope in board.scopes
        ],
        "speeches": [
            {"uid": s.uid, "at": s.at.isoformat(), "speaker": s.speaker, "text": s.text}
            for s in board.speeches
        ],
        "groups": [
            {"uids": list(g.uids), "sources": list(g.sources), "agree": g.agree}
            for g in board.groups
        ],
        "seats": None if board.seats is None else _point_json(board.seats),
    }


def _object(data: object, where: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise BoardError(f"{where}: expected an object")
    return data


def _list(data: object, where: str) -> Sequence[Any]:
    if not isinstance(data, list):
        raise BoardError(f"{where}: expected a list")
    return data


def _strings(data: object, where: str) -> tuple[str, ...]:
    items = _list(data, where)
    if not all(isinstance(item, str) for item in items):
        raise BoardError(f"{where}: expected strings")
    return tuple(items)


def _optional_number(data: object, where: str) -> float | None:
    if data is None:
        return None
    if isinstance(data, bool) or not isinstance(data, int | float):
        raise BoardError(f"{where}: expected a number")
    return float(data)


def _point_from(data: object, where: str) -> Point:
    raw = _object(data, where)
    try:
        kind = Kind(str(raw.get("kind")))
        figures = Figures.from_json(raw.get("figures"))
        at = parse_instant(raw.get("at"), field_name=f"{where}.at")
        corrected = raw.get("corrected")
        variants = tuple(
            Variant(
                Figures.from_json(_object(v, f"{where}.variants").get("figures")),
                _strings(_object(v, f"{where}.variants").get("sources"), f"{where}.variants"),
            )
            for v in _list(raw.get("variants", []), f"{where}.variants")
        )
        return Point(
            kind=kind,
            round=raw.get("round") if raw.get("round") in (1, 2) else None,
            at=at,
            figures=figures,
            sources=_strings(raw.get("sources"), f"{where}.sources"),
            uids=_strings(raw.get("uids"), f"{where}.uids"),
            variants=variants,
            corrected=None if corrected is None else Figures.from_json(corrected),
        )
    except (UpdateError, ValueError) as error:
        if isinstance(error, BoardError):
            raise
        raise BoardError(f"{where}: {error}") from error


def board_from_json(data: object) -> Board:
    """Parse a board's JSON object (as a broadcaster sends it)."""
    raw = _object(data, "board")
    try:
        state = NightState(str(raw.get("state")))
    except ValueError as error:
        raise BoardError(f"board.state: unknown state {raw.get('state')!r}") from error
    current: CurrentResult | None = None
    if raw.get("current") is not None:
        shown = _object(raw["current"], "board.current")
        rows = []
        for row in _list(shown.get("rows"), "board.current.rows"):
            item = _object(row, "board.current.rows")
            name, pct = item.get("name"), _optional_number(item.get("pct"), "rows.pct")
            if not isinstance(name, str) or pct is None:
                raise BoardError("board.current.rows: a row needs a name and a pct")
            rows.append(ShareLine(name, pct, _optional_number(item.get("delta"), "rows.delta")))
        institute = shown.get("institute")
        compared = shown.get("compared_to")
        current = CurrentResult(
            point=_point_from(shown, "board.current"),
            rows=tuple(rows),
            final=shown.get("final") is True,
            institute=institute if isinstance(institute, str) else None,
            compared_to=None if compared is None else _point_from(compared, "board.compared_to"),
        )
    scopes = []
    for item in _list(raw.get("scopes", []), "board.scopes"):
        scope = _object(item, "board.scopes")
        name = scope.get("scope")
        if not isinstance(name, str):
            raise BoardError("board.scopes: a scope needs its name")
        count, turnout = scope.get("count"), scope.get("turnout")
        scopes.append(
            ScopeResult(
                name,
                None if count is None else _point_from(count, "board.scopes.count"),
                None if turnout is None else _point_from(turnout, "board.scopes.turnout"),
            )
        )
    speeches = []
    for item in _list(raw.get("speeches", []), "board.speeches"):
        speech = _object(item, "board.speeches")
        uid, text, speaker = speech.get("uid"), speech.get("text"), speech.get("speaker")
        if not isinstance(uid, str) or not isinstance(text, str):
            raise BoardError("board.speeches: a speech needs a uid and a text")
        try:
            at = parse_instant(speech.get("at"), field_name="board.speeches.at")
        except UpdateError as error:
            raise BoardError(str(error)) from error
        speeches.append(Speech(uid, at, speaker if isinstance(speaker, str) else None, text))
    groups = [
        SourceGroup(
            _strings(_object(g, "board.groups").get("uids"), "board.groups.uids"),
            _strings(_object(g, "board.groups").get("sources"), "board.groups.sources"),
            _object(g, "board.groups").get("agree") is not False,
        )
        for g in _list(raw.get("groups", []), "board.groups")
    ]
    night_round = raw.get("round")
    return Board(
        round=night_round if night_round in (1, 2) else None,
        state=state,
        current=current,
        history=tuple(
            _point_from(p, "board.history") for p in _list(raw.get("history", []), "board.history")
        ),
        turnout=tuple(
            _point_from(p, "board.turnout") for p in _list(raw.get("turnout", []), "board.turnout")
        ),
        progress=tuple(
            _point_from(p, "board.progress")
            for p in _list(raw.get("progress", []), "board.progress")
        ),
        scopes=tuple(scopes),
        speeches=tuple(speeches),
        groups=tuple(groups),
        seats=None if raw.get("seats") is None else _point_from(raw["seats"], "board.seats"),
    )
