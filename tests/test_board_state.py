"""Tests for ticker.board.board_state: the ticker's board built from the night's updates (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from ingest.model.update import Figures, Kind, Op, Update
from ticker.board.board_state import BoardState
from ticker.terminal.ticker_view import TickerView
from ticker.wire.client_filter import Filter
from ticker.wire.replay_clock import ReplayClock

if TYPE_CHECKING:  # imported by pytest_plugins at run time, so that pytest rewrites its asserts
    from tests.plugins.ticker import TickerKit


_PARIS = timezone(timedelta(hours=1))


def make(
    uid: str,
    minute: int,
    *,
    kind: Kind = Kind.NEWS,
    text: str = "texte",
    op: Op = Op.ADD,
    figures: Figures | None = None,
    source: str = "liveblog",
    round_: int | None = 2,
) -> Update:
    """An update at 20:00 + ``minute``."""
    return Update(
        uid=uid,
        at=datetime(2017, 1, 29, 20, 0, tzinfo=_PARIS) + timedelta(minutes=minute),
        source=source,
        kind=kind,
        text=text,
        seen=datetime(2017, 1, 29, 19, 0, tzinfo=UTC),
        op=op,
        figures=figures,
        round=round_,
    )


def count(uid: str, minute: int, hamon: float, valls: float, counted: float | None) -> Update:
    """A national count update."""
    figures = Figures(shares={"Benoît Hamon": hamon, "Manuel Valls": valls}, counted_pct=counted)
    return make(uid, minute, kind=Kind.COUNT, figures=figures)


def test_scoreboard_at_20h45(ticker: TickerKit) -> None:
    """At 20h45 the scoreboard is the 20h41 count: Hamon 58.65, Valls 41.35, 60 % counted."""
    scoreboard = ticker.board_at("20:45").board().current
    assert scoreboard is not None
    assert not scoreboard.is_estimate
    assert [(row.name, row.pct) for row in scoreboard.rows] == [
        ("Benoît Hamon", 58.65),
        ("Manuel Valls", 41.35),
    ]
    assert scoreboard.point.figures.counted_pct == 60
    # The first round's count, recalled at 07h45, is not a previous count of this round.
    assert scoreboard.compared_to is None
    assert all(row.delta is None for row in scoreboard.rows)


def test_scoreboard_change_since_previous_count(ticker: TickerKit) -> None:
    """At 23h45 the final 58.72 shows +0.07 against 58.65 (same-share repeats are skipped)."""
    scoreboard = ticker.board_at("23:45").board().current
    assert scoreboard is not None
    assert scoreboard.compared_to is not None
    assert scoreboard.compared_to.figures is not None
    assert scoreboard.compared_to.figures.counted_pct == 60
    assert [(row.name, row.pct, row.delta) for row in scoreboard.rows] == [
        ("Benoît Hamon", 58.72, 0.07),
        ("Manuel Valls", 41.28, -0.07),
    ]


def test_scoreboard_shows_estimate_before_any_count(ticker: TickerKit) -> None:
    """At 19h30 there is no count yet: the latest national estimate (OpinionWay, 58 %)."""
    scoreboard = ticker.board_at("19:30").board().current
    assert scoreboard is not None
    assert scoreboard.is_estimate
    assert [(row.name, row.pct) for row in scoreboard.rows] == [("Benoît Hamon", 58)]
    assert ticker.board_at("18:00").board().current is None


def test_turnout_checkpoints_at_20h45(ticker: TickerKit) -> None:
    """Checkpoints in order, one per as_of: the liveblog's and the results' 17:00 are one."""
    checkpoints = ticker.board_at("20:45").board().turnout
    assert [checkpoint.at.strftime("%H:%M") for checkpoint in checkpoints] == [
        "12:00",
        "17:00",
        "18:01",
        "18:26",
    ]
    five_pm = checkpoints[1].figures
    assert five_pm.voters == 1_306_852
    assert five_pm.stations_pct == 75
    assert five_pm.previous is not None
    assert five_pm.previous.voters == 1_000_000
    assert five_pm.previous.stations_pct == 70
    assert checkpoints[2].figures.change_pct == 23
    assert (checkpoints[3].figures.voters_low, checkpoints[3].figures.voters_high) == (
        1_700_000,
        2_000_000,
    )


def test_departments_of_the_round_only(ticker: TickerKit) -> None:
    """Départements come from local counts and turnout of round 2, never round 1's."""
    assert ticker.board_at("20:45").board().scopes == ()
    results = ticker.board_at("09:30", day=30).board().scopes
    assert [result.scope for result in results] == ["Aveyron", "Loire", "Lot"]
    loire = results[1]
    assert loire.count is not None
    assert loire.count.figures is not None
    assert loire.count.figures.shares["Benoît Hamon"] == 60.8
    assert loire.turnout is not None
    assert loire.turnout.figures is not None
    assert loire.turnout.figures.voters == 18_501


def test_feed_is_newest_first(ticker: TickerKit) -> None:
    """The feed lists the latest speeches first, by ``at``."""
    feed = ticker.board_at("20:56").feed(limit=3)
    assert [item.update.uid for item in feed] == [
        "liveblog:2056",
        "liveblog:2055",
        "liveblog:2054",
    ]
    assert all(item.arrived is None for item in feed)


def test_edit_replaces_in_place() -> None:
    """An edit replaces its uid's item, keeps its place, marks it edited and highlights it."""
    board = BoardState()
    board.apply_all([make("a", 1, text="un"), make("b", 2, text="deux")])
    board.apply(make("a", 1, text="un, corrigé", op=Op.EDIT), now=100.0)
    feed = board.feed()
    assert [item.update.uid for item in feed] == ["b", "a"]
    assert feed[1].update.text == "un, corrigé"
    assert feed[1].edited
    assert feed[1].arrived == 100.0
    assert len(board) == 2


def test_delete_marks_the_item_deleted() -> None:
    """A delete keeps the item, struck; a delete of an unknown uid changes nothing shown."""
    board = BoardState()
    board.apply(make("a", 1))
    board.apply(make("a", 1, op=Op.DELETE), now=5.0)
    board.apply(make("zzz", 3, op=Op.DELETE))
    (item,) = board.feed()
    assert item.deleted
    assert item.arrived == 5.0


def test_deleting_the_latest_count_brings_back_the_previous() -> None:
    """A withdrawn count leaves the scoreboard to the one before it."""
    board = BoardState(round=2)
    board.apply_all([count("c1", 41, 58.65, 41.35, 60), count("c2", 50, 58.7, 41.3, 80)])
    latest = board.board().current
    assert latest is not None
    assert latest.point.uids == ("c2",)
    board.apply(replace(count("c2", 50, 58.7, 41.3, 80), op=Op.DELETE))
    back = board.board().current
    assert back is not None
    assert back.point.uids == ("c1",)
    assert back.compared_to is None


def test_new_count_is_marked_with_its_arrival() -> None:
    """A count that came in live carries its arrival time; the backlog's does not."""
    board = BoardState(round=2)
    board.apply(count("c1", 41, 58.65, 41.35, 60))
    first = board.board().current
    assert first is not None
    assert board.arrived(first.point.uids) is None
    board.apply(count("c2", 50, 58.7, 41.3, 80), now=42.0)
    second = board.board().current
    assert second is not None
    assert board.arrived(second.point.uids) == 42.0


def test_kinds_filter_applies_to_the_whole_board(ticker: TickerKit) -> None:
    """With kinds=speech only speeches are on the board: no scoreboard, no turnout."""
    board = BoardState(round=2, filter=Filter(kinds=frozenset({"speech"})))
    board.apply_all(ticker.updates_until("21:00"))
    assert board.board().current is None
    assert board.board().turnout == ()
    assert {item.update.kind for item in board.feed()} == {Kind.SPEECH}
    assert board.applied == 7


def test_sources_filter(ticker: TickerKit) -> None:
    """With sources=results only the results endpoint's updates are on the board."""
    board = BoardState(round=2, filter=Filter(sources=frozenset({"results"})))
    board.apply_all(ticker.updates_until("20:45"))
    assert {item.update.source for item in board.feed()} == {"results"}
    scoreboard = board.board().current
    assert scoreboard is not None
    assert scoreboard.point.uids == ("results:count-2041",)


def test_round_defaults_to_the_highest_seen() -> None:
    """Without a configured round, the board shows the highest round its figures name."""
    board = BoardState()
    board.apply(replace(count("r1", 1, 36.03, 31.48, None), round=1))
    board.apply(count("r2", 41, 58.65, 41.35, 60))
    assert board.night_round == 2
    scoreboard = board.board().current
    assert scoreboard is not None
    assert scoreboard.point.uids == ("r2",)
    assert scoreboard.compared_to is None


def test_feed_capacity_drops_the_oldest() -> None:
    """Past its capacity, the feed forgets its oldest items."""
    board = BoardState(feed_capacity=3)
    board.apply_all(make(f"u{minute}", minute) for minute in range(5))
    assert [item.update.uid for item in board.feed()] == ["u4", "u3", "u2"]


def test_candidate_colours_follow_the_night_order() -> None:
    """Candidates keep the colour slot of the night's list, whoever leads."""
    board = BoardState()
    board.add_candidates(["Benoît Hamon", "Manuel Valls"])
    board.apply(count("c", 1, 41.0, 59.0, 10))
    assert board.candidate_color("Benoît Hamon") == 0
    assert board.candidate_color("Manuel Valls") == 1
    assert not board.is_candidate("Anne Hidalgo")


def test_health_is_replaced() -> None:
    """Health replaces the previous one and says whether it changed."""
    board = BoardState()
    assert board.set_health({"liveblog": {"state": "ok"}})
    assert not board.set_health({"liveblog": {"state": "ok"}})
    assert board.health == {"liveblog": {"state": "ok"}}


def test_replay_clock_extrapolates_by_speed() -> None:
    """Between appends the virtual time runs at the replay's speed; paused or max, it stays."""
    fields = {"virtual": "2017-01-29T20:41:00+01:00", "wall": "1000", "speed": "60", "paused": "0"}
    clock = ReplayClock.from_hash(fields)
    assert clock is not None
    assert clock.now(1001.5).strftime("%H:%M:%S") == "20:42:30"
    # Past two seconds without word from the replay, the clock stands still.
    assert clock.now(1010).strftime("%H:%M:%S") == "20:43:00"
    finished = ReplayClock.from_hash({**fields, "finished": "1"})
    assert finished is not None
    assert finished.now(1001).strftime("%H:%M:%S") == "20:41:00"
    assert clock.speed_label == "\u00d760"
    paused = ReplayClock.from_hash({**fields, "paused": "1"})
    assert paused is not None
    assert paused.now(1010).strftime("%H:%M") == "20:41"
    fastest = ReplayClock.from_hash({**fields, "speed": "max"})
    assert fastest is not None
    assert fastest.now(5000).strftime("%H:%M") == "20:41"
    assert fastest.speed_label == "max"


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"virtual": "20:41", "wall": "1"},
        {"virtual": "2017-01-29T20:41:00", "wall": "1"},
        {"virtual": "2017-01-29T20:41:00+01:00", "wall": "x"},
        {"virtual": "2017-01-29T20:41:00+01:00", "wall": "1", "speed": "0"},
    ],
)
def test_replay_clock_rejects_unreadable_hashes(fields: dict[str, str]) -> None:
    """A hash the ticker cannot read is taken as no replay clock."""
    assert ReplayClock.from_hash(fields) is None


def test_pause_request_until_the_replay_answers() -> None:
    """``p`` asks for the opposite of the clock's state; the request clears once it is so."""
    view = TickerView()
    running = ReplayClock(
        virtual=datetime(2017, 1, 29, 20, 0, tzinfo=_PARIS), wall=0, speed=60, paused=False
    )
    view.set_clock(running)
    assert view.toggle_pause(10.0) is True
    assert view.paused
    view.set_clock(running)
    assert view.pause_requested is True
    view.set_clock(replace(running, paused=True))
    assert view.pause_requested is None
    assert view.paused
    assert view.toggle_pause(20.0) is False
