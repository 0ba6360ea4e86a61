"""Tests for ticker.board.live_state: the snapshot state and the in-memory backlog. No I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ingest.model.update import Figures, Kind, Op, Update
from ticker.board.live_state import LiveState, RecentUpdates
from ticker.wire.ws_frames import EncodedUpdate

PARIS = timezone(timedelta(hours=1))
SHARES = {"Benoît Hamon": 58.65, "Manuel Valls": 41.35}


def update(n: int, kind: Kind = Kind.COUNT, *, minute: int | None = None, **fields: Any) -> Update:
    """Update number ``n`` read from the stream (id ``n-0``), at 20:00 + minute (default n)."""
    values: dict[str, Any] = {
        "uid": f"u{n}",
        "at": datetime(2017, 1, 29, 20, 0, tzinfo=PARIS) + timedelta(minutes=minute or n),
        "source": "liveblog",
        "kind": kind,
        "text": f"update {n}",
        "seen": datetime(2026, 1, 1, tzinfo=UTC),
        "id": f"{n}-0",
    }
    if kind is Kind.COUNT:
        values["figures"] = Figures(shares=SHARES)
    elif kind is Kind.TURNOUT:
        values["figures"] = Figures(voters=1000 * n)
    values.update(fields)
    return Update(**values)


def test_the_latest_count_is_the_last_by_time_and_other_kinds_do_not_count() -> None:
    """Counts replace each other by `at`; news and estimates leave the scoreboard alone."""
    state = LiveState()
    assert state.count is None
    assert state.apply(update(1))
    assert not state.apply(update(2, Kind.NEWS))
    state.apply(update(3, Kind.ESTIMATE, figures=Figures(shares=SHARES)))
    assert state.count is not None
    assert state.count.uid == "u1"
    assert state.apply(update(4))
    assert state.count is not None
    assert state.count.uid == "u4"
    assert state.last_id == "4-0"


def test_a_count_published_late_about_an_earlier_time_does_not_win() -> None:
    """Rank is by `at`: a late-arriving 20h30 count stays behind the 20h41 one."""
    state = LiveState()
    state.apply(update(1, minute=41))
    state.apply(update(2, minute=30))
    assert state.count is not None
    assert state.count.uid == "u1"


def test_a_national_count_beats_a_later_local_one() -> None:
    """The current result is national; a local count is a result by scope, never current."""
    state = LiveState()
    state.apply(update(1, figures=Figures(scope="Loire", shares=SHARES)))
    assert state.count is None
    assert [scope["scope"] for scope in state.board["scopes"]] == ["Loire"]
    state.apply(update(2))
    state.apply(update(3, figures=Figures(scope="Gironde", shares=SHARES)))
    assert state.count is not None
    assert state.count.uid == "u2"


def test_counts_without_shares_are_not_scoreboards() -> None:
    """A count update that states no shares ("le dépouillement commence") is ignored."""
    state = LiveState()
    assert not state.apply(update(1, figures=None))
    assert not state.apply(update(2, figures=Figures(counted_pct=10)))
    assert state.count is None


def test_deleting_the_latest_count_brings_the_previous_back() -> None:
    """A delete takes its uid out; the best remaining count is the latest again."""
    state = LiveState()
    state.apply(update(1))
    state.apply(update(2))
    assert state.apply(update(2).as_delete().with_stream(id="3-0", op=Op.DELETE))
    assert state.count is not None
    assert state.count.uid == "u1"
    state.apply(update(1).as_delete().with_stream(id="4-0", op=Op.DELETE))
    assert state.count is None


def test_an_edit_replaces_the_count_in_place() -> None:
    """An edit of the latest count is the latest count, with its new figures."""
    state = LiveState()
    state.apply(update(1))
    edited = update(1, figures=Figures(shares={"Benoît Hamon": 60.0}), id="2-0", op=Op.EDIT)
    assert state.apply(edited)
    assert state.count is edited


def test_an_edit_that_drops_the_figures_takes_the_count_out() -> None:
    """An edit without shares no longer qualifies; the previous count comes back."""
    state = LiveState()
    state.apply(update(1))
    state.apply(update(2))
    state.apply(update(2, figures=None, id="3-0", op=Op.EDIT))
    assert state.count is not None
    assert state.count.uid == "u1"


def test_the_latest_turnout_is_tracked_the_same_way() -> None:
    """Turnout updates with figures: the latest by time."""
    state = LiveState()
    state.apply(update(1, Kind.TURNOUT))
    state.apply(update(2, Kind.TURNOUT, figures=None))
    state.apply(update(3, Kind.TURNOUT, minute=1))
    assert state.turnout is not None
    assert state.turnout.uid == "u3"


# -- recent updates -----------------------------------------------------------------------------


def recent_with(capacity: int, count: int) -> RecentUpdates:
    """A RecentUpdates fed updates 1..count."""
    recent = RecentUpdates(capacity)
    for n in range(1, count + 1):
        recent.add(EncodedUpdate.of(update(n, Kind.NEWS)))
    return recent


def test_recent_updates_keep_the_newest_in_order() -> None:
    """The capacity bounds it; the oldest go first."""
    recent = recent_with(3, 5)
    assert [entry.id for entry in recent] == ["3-0", "4-0", "5-0"]
    assert [entry.id for entry in recent.newest(2)] == ["4-0", "5-0"]
    assert [entry.id for entry in recent.newest(10)] == ["3-0", "4-0", "5-0"]
    assert recent.newest(0) == []


@pytest.mark.parametrize(
    ("since", "covered", "after"),
    [
        ((2, 0), False, None),
        ((3, 0), True, ["4-0", "5-0"]),
        ((4, 5), True, ["5-0"]),
        ((5, 0), True, []),
        ((9, 0), True, []),
    ],
)
def test_recent_updates_cover_a_since_at_or_after_their_first(
    since: tuple[int, int], covered: bool, after: list[str] | None
) -> None:
    """A since before the first entry held may have missed entries dropped from memory."""
    recent = recent_with(3, 5)
    assert recent.covers(since) is covered
    if after is not None:
        assert [entry.id for entry in recent.after(since)] == after


def test_empty_or_zero_capacity_recent_updates_cover_nothing() -> None:
    """Nothing held: every since goes to Redis."""
    assert not RecentUpdates(3).covers((0, 0))
    none = recent_with(0, 5)
    assert len(none) == 0
    assert not none.covers((5, 0))
    with pytest.raises(ValueError, match="negative"):
        RecentUpdates(-1)
