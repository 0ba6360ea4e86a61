"""Tests for ticker.board: the one board rule, replayed over the bundled night and on edge cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ingest.model.update import Figures, Kind, Op, Previous, Update
from replay.fixtures import find_night
from replay.timeline import night_updates
from ticker.board.board_json import BoardError, board_from_json, board_to_json
from ticker.board.board_values import Board, NightState
from ticker.board.night_board import NightBoard
from ticker.board.scope_levels import scope_level
from ticker.board.text_clues import institute_of

_PARIS = timezone(timedelta(hours=1))
_SEEN = datetime(2017, 1, 29, 18, 0, tzinfo=UTC)

HAMON, VALLS = "Benoît Hamon", "Manuel Valls"

ROUND_1_COUNT = {"round": 1, "shares": {HAMON: 36.03, VALLS: 31.48, "Arnaud Montebourg": 17.52}}
NOON = {
    "at": "12:00",
    "voters": 567563,
    "previous": (400000, 63, 1),
    "sources": ["liveblog", "results"],
}
FIVE = {
    "at": "17:00",
    "voters": 1306852,
    "previous": (1000000, 70, 1),
    "sources": ["liveblog", "results"],
}
SIX = {"at": "18:01", "voters": None, "previous": None, "sources": ["liveblog"]}
RANGE = {"at": "18:26", "voters": None, "previous": None, "sources": ["liveblog"]}
LATE = {"at": "23:00", "voters": None, "previous": None, "sources": ["results"]}
COUNT_2041 = {
    "kind": "count",
    "rows": [(HAMON, 58.65, None), (VALLS, 41.35, None)],
    "counted_pct": 60,
    "final": False,
    "institute": None,
    "sources": ["liveblog", "results"],
}
FINAL = {
    "kind": "count",
    "rows": [(HAMON, 58.72, 0.07), (VALLS, 41.28, -0.07)],
    "counted_pct": None,
    "final": True,
    "institute": None,
    "sources": ["results"],
}

#: The board written by hand, as it must stand after each listed update (and until the next).
#: Each row lists only what changes; the rest carries over.
HAND_BOARDS: list[tuple[str, dict[str, Any]]] = [
    ("", {"state": "before_close", "current": None, "history": [], "turnout": []}),
    ("liveblog:0745", {"history": [ROUND_1_COUNT]}),  # the first round's count: history only
    (
        "liveblog:1305",
        {"turnout": [{**NOON, "previous": (400000, 63, None), "sources": ["liveblog"]}]},
    ),
    ("results:turnout-1200", {"turnout": [NOON]}),  # 12:00: 567 563, nothing counted
    (
        "liveblog:1759",
        {"turnout": [NOON, {**FIVE, "previous": (1000000, 70, None), "sources": ["liveblog"]}]},
    ),
    ("results:turnout-1700", {"turnout": [NOON, FIVE]}),
    ("liveblog:1801", {"turnout": [NOON, FIVE, SIX]}),
    ("liveblog:1826", {"turnout": [NOON, FIVE, SIX, RANGE]}),
    ("liveblog:1900", {"state": "counting"}),  # "Les bureaux de vote ferment"
    (
        "liveblog:1906",
        {
            "current": {
                **COUNT_2041,
                "kind": "estimate",
                "rows": [(HAMON, 60, None)],
                "counted_pct": None,
                "sources": ["liveblog"],
            }
        },
    ),
    (  # holds at 19:58: the OpinionWay estimate, labelled estimate, never the first round's count
        "liveblog:1924",
        {
            "current": {
                **COUNT_2041,
                "kind": "estimate",
                "rows": [(HAMON, 58, None)],
                "counted_pct": None,
                "institute": "OpinionWay",
                "sources": ["liveblog"],
            }
        },
    ),
    ("liveblog:2041", {"current": {**COUNT_2041, "sources": ["liveblog"]}}),
    ("results:count-2041", {"current": COUNT_2041}),  # 20:41: 58.65 / 41.35 at 60 %, 2 sources
    ("results:count-national-final", {"state": "final", "current": FINAL}),  # 23:00, final
    ("results:turnout-national-final", {"turnout": [NOON, FIVE, SIX, RANGE, LATE]}),
    # The morning after: the night is over; the quasi-final figures of 09:05 are the result.
    ("articles:e4f46512611fd0ca", {"state": "over", "current": {**FINAL, "sources": ["articles"]}}),
]


def summary(board: Board) -> dict[str, Any]:
    """What the hand-written boards state, read from a computed board."""
    current = board.current
    return {
        "state": board.state.value,
        "current": None
        if current is None
        else {
            "kind": current.point.kind.value,
            "rows": [(row.name, row.pct, row.delta) for row in current.rows],
            "counted_pct": current.point.figures.counted_pct,
            "final": current.final,
            "institute": current.institute,
            "sources": list(current.point.sources),
        },
        "history": [
            {"round": point.round, "shares": dict(point.figures.shares)} for point in board.history
        ],
        "turnout": [
            {
                "at": point.at.strftime("%H:%M"),
                "voters": point.figures.voters,
                "previous": None
                if point.figures.previous is None
                else (
                    point.figures.previous.voters,
                    point.figures.previous.stations_pct,
                    point.figures.previous.round,
                ),
                "sources": list(point.sources),
            }
            for point in board.turnout
        ],
    }


def test_the_board_matches_the_hand_written_boards_after_every_update_of_29_january() -> None:
    """After every update of the night, the rule's board is the hand-written one of that moment."""
    fixture = find_night("2017-01-29")
    updates = night_updates(fixture, seen=_SEEN)
    moments = dict(HAND_BOARDS)
    assert set(moments) - {""} <= {update.uid for update in updates}
    rule = NightBoard(round=fixture.night.round)
    expected = dict(moments[""])
    assert summary(rule.board()) == expected
    checked = set()
    for update in updates:
        rule.apply(update)
        if update.uid in moments:
            expected.update(moments[update.uid])
            checked.add(update.uid)
        assert summary(rule.board()) == expected, f"after {update.uid} ({update.at:%d %H:%M})"
    assert checked == set(moments) - {""}


def test_the_board_round_trips_through_its_json_at_every_update() -> None:
    """What the broadcaster sends parses back to the same board, at every update of the night."""
    rule = NightBoard(round=2)
    for update in night_updates(find_night("2017-01-29"), seen=_SEEN):
        rule.apply(update)
        board = rule.board()
        assert board_from_json(board_to_json(board)) == board


def make(
    uid: str,
    minute: int,
    *,
    kind: Kind = Kind.COUNT,
    figures: Figures | None = None,
    source: str = "liveblog",
    op: Op = Op.ADD,
    text: str = "texte",
    round_: int | None = 2,
) -> Update:
    """An update at 20:00 + ``minute``."""
    return Update(
        uid=uid,
        at=datetime(2017, 1, 29, 20, 0, tzinfo=_PARIS) + timedelta(minutes=minute),
        source=source,
        kind=kind,
        text=text,
        seen=_SEEN,
        op=op,
        figures=figures,
        round=round_,
    )


def shares(hamon: float, counted: float | None = 60) -> Figures:
    """National count figures."""
    return Figures(shares={HAMON: hamon, VALLS: round(100 - hamon, 2)}, counted_pct=counted)


def test_two_sources_that_disagree_are_both_shown_and_flagged() -> None:
    """Two sources stating different counts for the same minute: both variants, flagged."""
    rule = NightBoard(round=2)
    rule.apply(make("a", 41, figures=shares(58.65), source="liveblog"))
    rule.apply(make("b", 41, figures=shares(58.1), source="results"))
    current = rule.board().current
    assert current is not None
    assert current.point.disagreement
    variants = {v.sources: v.figures.shares[HAMON] for v in current.point.variants}
    assert variants == {("liveblog",): 58.65, ("results",): 58.1}
    [group] = rule.board().groups
    assert group.uids == ("a", "b")
    assert not group.agree


def test_an_edit_that_changes_a_figure_is_a_correction_with_the_previous_value() -> None:
    """An edited count keeps its previous figure as the corrected value."""
    rule = NightBoard(round=2)
    rule.apply(make("a", 41, figures=shares(58.56)))
    rule.apply(make("a", 41, figures=shares(58.65), op=Op.EDIT))
    current = rule.board().current
    assert current is not None
    assert current.rows[0].pct == 58.65
    assert current.point.corrected is not None
    assert current.point.corrected.shares[HAMON] == 58.56


def test_a_delete_brings_back_the_previous_count_and_then_the_estimate() -> None:
    """Deleting the latest count shows the one before; deleting every count, the estimate."""
    rule = NightBoard(round=2)
    estimate = Figures(shares={HAMON: 58})
    rule.apply(make("e", 0, kind=Kind.ESTIMATE, figures=estimate, text="selon Ipsos"))
    rule.apply(make("c1", 30, figures=shares(57.0, 30)))
    rule.apply(make("c2", 41, figures=shares(58.65)))
    rule.apply(make("c2", 41, figures=shares(58.65), op=Op.DELETE))
    current = rule.board().current
    assert current is not None
    assert current.point.uids == ("c1",)
    rule.apply(make("c1", 30, figures=shares(57.0, 30), op=Op.DELETE))
    current = rule.board().current
    assert current is not None
    assert current.is_estimate
    assert current.institute == "Ipsos"


def test_a_count_of_another_round_is_history_even_when_it_is_the_latest() -> None:
    """A first-round count recalled at 20:50 never becomes the second round's current result."""
    rule = NightBoard(round=2)
    rule.apply(make("e", 0, kind=Kind.ESTIMATE, figures=Figures(shares={HAMON: 58})))
    rule.apply(make("r1", 50, figures=shares(36.03, None), round_=1))
    board = rule.board()
    assert board.current is not None
    assert board.current.is_estimate
    assert [point.uids for point in board.history] == [("r1",)]


def test_scopes_carry_their_margin_and_leader() -> None:
    """A département's count gives its leader and margin; national figures are not a scope."""
    rule = NightBoard(round=2)
    loire = Figures(scope="Loire", shares={HAMON: 60.8, VALLS: 39.2})
    rule.apply(make("l", 0, figures=loire, source="results"))
    [scope] = rule.board().scopes
    assert (scope.scope, scope.leader, scope.margin) == ("Loire", HAMON, 21.6)


def test_every_scope_of_an_update_is_on_the_board_and_an_edit_can_take_one_away() -> None:
    """more_figures: each scope's count and turnout; the article corroborates a results feed."""
    rule = NightBoard(round=2)
    lot = Figures(scope="Lot", shares={HAMON: 55.6}, voters_low=8000)
    aveyron = Figures(scope="Aveyron", shares={HAMON: 54.7}, voters_low=10000)
    article = make("article", 5, figures=shares(58.72, None), source="articles")
    rule.apply(
        Update.from_json({**article.to_json(), "more_figures": [aveyron.to_json(), lot.to_json()]})
    )
    rule.apply(make("lot", 5, figures=Figures(scope="Lot", shares={HAMON: 55.6}), source="results"))
    scopes = {scope.scope: scope for scope in rule.board().scopes}
    assert set(scopes) == {"Aveyron", "Lot"}
    lot_count = scopes["Lot"].count
    assert lot_count is not None
    assert lot_count.sources == ("articles", "results")
    assert not lot_count.disagreement
    lot_turnout = scopes["Lot"].turnout
    assert lot_turnout is not None
    assert lot_turnout.figures.voters_low == 8000
    assert lot_turnout.uids == ("article",)
    rule.apply(make("article", 5, figures=shares(58.72, None), source="articles", op=Op.EDIT))
    assert {scope.scope for scope in rule.board().scopes} == {"Lot"}
    assert rule.board().current is not None


def test_a_turnout_rate_is_a_turnout_point_with_its_comparison() -> None:
    """rate_pct at 17:00 against 2012 is a point of the turnout series."""
    rule = NightBoard(round=2)
    rate = Figures(rate_pct=65.3, as_of="17:00", previous=Previous(rate_pct=71.96, year=2012))
    rule.apply(make("t", -170, kind=Kind.TURNOUT, figures=rate))
    [point] = rule.board().turnout
    assert point.figures.rate_pct == 65.3
    assert point.figures.previous == Previous(rate_pct=71.96, year=2012)
    assert point.at.hour == 17


def _noon(previous: Previous) -> Figures:
    """The 12:00 turnout, compared with ``previous``."""
    return Figures(voters=567563, stations_pct=75, as_of="12:00", previous=previous)


def test_turnout_comparison_is_merged_over_the_sources() -> None:
    """A liveblog without the round and a results feed with it give one checkpoint, round 1."""
    rule = NightBoard(round=2)
    rule.apply(make("t1", 0, kind=Kind.TURNOUT, figures=_noon(Previous(400000, 63))))
    rule.apply(
        make(
            "t2",
            1,
            kind=Kind.TURNOUT,
            source="results",
            figures=_noon(Previous(400000, 63, 1)),
        )
    )
    [point] = rule.board().turnout
    assert point.sources == ("liveblog", "results")
    assert point.figures.previous == Previous(400000, 63, 1)


@pytest.mark.parametrize(
    ("text", "institute"),
    [
        ("L'institut de sondage OpinionWay donne Benoît Hamon vainqueur à 58%", "OpinionWay"),
        ("selon une estimation IFOP pour TF1", "Ifop"),
        ("relayé par le site belge Le Soir", None),
    ],
)
def test_institute_of_names_the_polling_institute(text: str, institute: str | None) -> None:
    """The institute an estimate's text names, in its usual spelling."""
    assert institute_of(text) == institute


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        {"state": "done"},
        {"state": "counting", "current": {"rows": "x"}},
        {"state": "counting", "turnout": [{"kind": "turnout", "at": "hier"}]},
        {"state": "counting", "speeches": [{"uid": 1}]},
    ],
)
def test_a_board_that_is_not_one_is_refused_with_a_clear_error(raw: object) -> None:
    """Hostile board JSON raises BoardError, never anything else."""
    with pytest.raises(BoardError):
        board_from_json(raw)


def test_state_is_before_close_until_a_milestone_says_the_polls_close() -> None:
    """An estimate without figures before the close leaves the night before_close."""
    rule = NightBoard(round=2)
    rule.apply(make("e", -80, kind=Kind.ESTIMATE, text="Hamon vainqueur selon des estimations"))
    assert rule.board().state is NightState.BEFORE_CLOSE
    rule.apply(make("m", -60, kind=Kind.MILESTONE, text="Les bureaux de vote ferment"))
    assert rule.board().state is NightState.COUNTING


@pytest.mark.parametrize(
    ("scope", "level"),
    [
        ("Loire", "département"),
        ("Deux Sevres", "département"),
        ("La Réunion", "outre-mer"),
        ("Français de l'étranger", "étranger"),
        ("Occitanie", "région"),
        ("Lyon", "ville"),
        ("Polynésie française", "outre-mer"),
    ],
)
def test_scope_level_says_what_kind_of_place_a_scope_is(scope: str, level: str) -> None:
    """Départements (overseas ones apart), abroad, and any other place as a région."""
    assert scope_level(scope) == level


def test_a_source_that_names_no_round_corroborates_one_that_does() -> None:
    """The same count, one update without a round and one of round 2: one point, 2 sources."""
    rule = NightBoard(round=2)
    rule.apply(make("a", 41, figures=shares(58.65), round_=None))
    rule.apply(make("b", 41, figures=shares(58.65), source="results"))
    current = rule.board().current
    assert current is not None
    assert current.point.sources == ("liveblog", "results")
