"""The board of a local night: seats by list, results by commune and canton (pure)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from ingest.model.update import Figures, Kind, Update
from tests.test_protocol import validator
from ticker.board.board_json import board_to_json
from ticker.board.night_board import NightBoard
from ticker.terminal.relay_messages import BoardMessage, parse_server_message
from ticker.wire.protocol import board_message

_PARIS = timezone(timedelta(hours=2))
PC, PD, OP = "Poitiers collectif", "Poitiers demain", "Osons Poitiers"


def count(uid: str, minute: int, figures: Figures) -> Update:
    return Update(
        uid=uid,
        at=datetime(2020, 6, 28, 20, 0, tzinfo=_PARIS) + timedelta(minutes=minute),
        source="liveblog",
        kind=Kind.COUNT,
        text="texte",
        seen=datetime(2020, 6, 28, 19, 0, tzinfo=UTC),
        figures=figures,
        round=2,
    )


UPDATES = (
    count("a", 1, Figures(shares={PC: 42.83, PD: 35.42, OP: 21.75})),
    count("b", 2, Figures(seats={PC: 35, PD: 12, OP: 6}, seats_total=53)),
    count(
        "c",
        3,
        Figures(
            scope="canton de Poitiers",
            scope_kind="canton",
            scope_code="8611",
            shares={PC: 44.1, PD: 33.0},
        ),
    ),
    count(
        "d",
        4,
        Figures(
            scope="Loudun", scope_kind="commune", scope_code="86137", votes={OP: 1204, PD: 998}
        ),
    ),
)


def test_seats_are_the_board_s_and_never_the_current_shares() -> None:
    """A count of seats is the board's seats; the current result stays the shares."""
    rule = NightBoard(round=2)
    for update in UPDATES:
        rule.apply(update)
    board = rule.board()
    assert board.seats is not None
    assert dict(board.seats.figures.seats) == {PC: 35, PD: 12, OP: 6}
    assert board.seats.figures.seats_total == 53
    assert board.current is not None
    assert [row.name for row in board.current.rows] == [PC, PD, OP]
    assert [point.figures.shares for point in board.progress] == [{PC: 42.83, PD: 35.42, OP: 21.75}]


def test_communes_and_cantons_are_scopes_with_their_level_and_leader() -> None:
    """A canton and a commune of the night are scopes; a commune known by votes has a leader."""
    rule = NightBoard(round=2)
    for update in UPDATES:
        rule.apply(update)
    scopes = {scope.scope: scope for scope in rule.board().scopes}
    assert set(scopes) == {"canton de Poitiers", "Loudun"}
    canton, commune = scopes["canton de Poitiers"], scopes["Loudun"]
    assert (canton.level, canton.leader, canton.margin) == ("canton", PC, 11.1)
    assert (commune.level, commune.leader, commune.margin) == ("commune", OP, None)


def test_the_local_board_matches_the_schema_and_reads_back() -> None:
    rule = NightBoard(round=2)
    for update in UPDATES:
        rule.apply(update)
    board = rule.board()
    text = board_message(board_to_json(board))
    validator("server_message").validate(json.loads(text))
    message = parse_server_message(text)
    assert isinstance(message, BoardMessage)
    assert message.board == board
    assert json.loads(text)["board"]["seats"]["figures"]["seats_total"] == 53


def test_a_figure_only_one_source_states_is_no_disagreement() -> None:
    """The results feed's counted share, absent from the liveblog's same shares: one point,
    agreed by both sources, never "⚠ sources en désaccord"; different shares still disagree."""
    shares = {PC: 42.83, PD: 35.42, OP: 21.75}
    liveblog = count("a", 1, Figures(shares=shares))
    results = replace(count("r", 1, Figures(shares=shares, counted_pct=100)), source="results")
    rule = NightBoard(round=2)
    rule.apply_all([liveblog, results])
    board = rule.board()
    assert board.current is not None
    assert board.current.point.sources == ("liveblog", "results")
    assert board.current.point.variants == ()
    assert [group.agree for group in board.groups] == [True]
    other = count("o", 1, Figures(shares={PC: 40.0, PD: 38.25, OP: 21.75}, counted_pct=100))
    rule.apply(replace(other, source="other"))
    disputed = rule.board()
    assert disputed.current is not None
    assert len(disputed.current.point.variants) == 2
    assert [group.agree for group in disputed.groups] == [False]
