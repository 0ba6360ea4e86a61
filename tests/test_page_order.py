"""Tests for ingest.sources.page_order (which way a page runs, which entries are pinned) and the
floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from ingest.model.update import Kind, Update
from ingest.sources.entry_diff import SeenEntry, diff_entries
from ingest.sources.page_order import PageTop, out_of_order, pinned_entries, runs_newest_first

PARIS = timezone(timedelta(hours=1))
SEEN = datetime(2026, 1, 1, tzinfo=UTC)
INTRO = Update(
    uid="live:intro", at=datetime(2017, 1, 29, 7, 0, tzinfo=PARIS), source="live",
    kind=Kind.NEWS, text="Bienvenue", seen=SEEN,
)  # fmt: skip


def entry(index: int) -> Update:
    """Entry ``index``, at 20:00 plus ``index`` minutes."""
    return Update(
        uid=f"live:{index}",
        at=datetime(2017, 1, 29, 20, 0, tzinfo=PARIS) + timedelta(minutes=index),
        source="live",
        kind=Kind.NEWS,
        text=f"entrée {index}",
        seen=SEEN,
    )


def pins(page: list[Update], last: PageTop | None = None) -> PageTop:
    """pinned_entries of a page given top first."""
    return pinned_entries([u.uid for u in page], [u.at for u in page], last=last)


def test_which_way_a_page_runs() -> None:
    """Most neighbours decide; an old entry on top of a newest-first page does not."""
    times = [entry(i).at for i in range(5)]
    assert runs_newest_first(times[::-1]) is True
    assert runs_newest_first(times) is False
    assert runs_newest_first([INTRO.at, *times[::-1]]) is True
    assert runs_newest_first([times[0], times[0]]) is None
    assert runs_newest_first([]) is None


def test_old_entries_on_top_of_a_newest_first_page_are_pinned_at_once() -> None:
    """On a newest-first page, top entries older than the one under them are pinned."""
    rules = Update(
        uid="live:rules", at=INTRO.at + timedelta(minutes=5), source="live", kind=Kind.NEWS,
        text="Mode d'emploi", seen=SEEN,
    )  # fmt: skip
    page = [INTRO, rules, *[entry(i) for i in range(10, 0, -1)]]
    assert pins(page).pinned == {"live:intro", "live:rules"}
    assert pins([entry(i) for i in range(10, 0, -1)]).pinned == frozenset()
    # An oldest-first page starts with its oldest entry: nothing pinned by time.
    assert pins([INTRO, *[entry(i) for i in range(1, 10)]]).pinned == frozenset()


def test_a_run_that_stays_on_top_while_the_page_rolls_is_pinned() -> None:
    """Oldest first, an intro in order: pinned once the page rolls under it, and it stays so."""
    first = pins([INTRO, *[entry(i) for i in range(10)]])
    assert first.pinned == frozenset()
    rolled = pins([INTRO, *[entry(i) for i in range(2, 12)]], first)
    assert rolled.pinned == {"live:intro"}
    growing = pins([INTRO, *[entry(i) for i in range(2, 13)]], rolled)
    assert growing.pinned == {"live:intro"}
    # Off the top, the across-polls rule lets it go; moved to the end of an oldest-first
    # page it is out of the page's order, pinned by time instead.
    moved = pins([entry(i) for i in range(2, 13)] + [INTRO], growing)
    assert moved.pinned == {"live:intro"}
    assert pins([entry(i) for i in range(2, 13)], growing).pinned == frozenset()


def test_entries_out_of_the_pages_order_are_pinned_wherever_they_are() -> None:
    """Newest first: an old entry featured under the first entries is out of order; one kept
    at the end is in order, pinned once the page rolls above it, and stays so while there."""
    newest = [entry(i) for i in range(10, 0, -1)]
    assert pins([*newest[:3], INTRO, *newest[3:]]).pinned == {"live:intro"}
    assert out_of_order([u.at for u in newest]) == set()
    assert out_of_order([]) == set()
    first = pins([*newest, INTRO])
    assert first.pinned == frozenset()
    rolled = pins([*[entry(i) for i in range(12, 2, -1)], INTRO], first)
    assert rolled.pinned == {"live:intro"}
    kept = pins([*[entry(i) for i in range(13, 2, -1)], INTRO], rolled)
    assert kept.pinned == {"live:intro"}
    # Growing over it, or an entry deleted above it, pins nothing at the end.
    assert pins([entry(11), *newest, INTRO], first).pinned == frozenset()
    assert pins([*newest[:4], *newest[5:], INTRO], first).pinned == frozenset()


def test_growing_pages_and_plain_deletes_pin_nothing() -> None:
    """A page that only grows, or loses an entry without a new one, pins nothing."""
    page = [entry(i) for i in range(5)]
    grown = pins([*page, entry(5)], pins(page))
    assert grown.pinned == frozenset()
    shrunk = pins([page[0], *page[2:]], pins(page))
    assert shrunk.pinned == frozenset()
    rolled = pins([entry(i) for i in range(1, 6)], pins(page))
    assert rolled.pinned == frozenset()


def test_the_floor_leaves_pinned_entries_out() -> None:
    """With the intro pinned, entries older than the oldest others fell off: no delete."""
    seen = {u.uid: SeenEntry.of(u) for u in [INTRO, *[entry(i) for i in range(10)]]}
    page = [INTRO, *[entry(i) for i in range(5, 12)]]
    assert len(diff_entries(seen, page).deleted) == 5
    diff = diff_entries(seen, page, pinned={"live:intro"})
    assert diff.deleted == ()
    assert [u.uid for u in diff.new_or_changed] == ["live:10", "live:11"]
    # Gone from the middle is still a delete; only pinned entries shown: nothing deleted.
    middle = diff_entries(seen, [INTRO, entry(5), entry(7)], pinned={"live:intro"})
    assert [u.uid for u in middle.deleted] == ["live:6", "live:8", "live:9"]
    assert diff_entries(seen, [INTRO], pinned={"live:intro"}).deleted == ()


@given(
    st.integers(min_value=1, max_value=8),
    st.integers(min_value=1, max_value=4),
    st.booleans(),
)
def test_a_pinned_intro_over_a_sliding_window_never_deletes(
    size: int, step: int, newest_first: bool
) -> None:
    """A page of the latest `size` entries under a pinned intro, rolling, never deletes."""
    seen: dict[str, SeenEntry] = {}
    top: PageTop | None = None
    for end in range(1, 30, step):
        window = [entry(i) for i in range(max(0, end - size), end)]
        page = [INTRO, *(window[::-1] if newest_first else window)]
        top = pins(page, top)
        diff = diff_entries(seen, page, pinned=top.pinned)
        assert diff.deleted == ()
        seen.update({u.uid: SeenEntry.of(u) for u in diff.new_or_changed})


@given(
    st.integers(min_value=2, max_value=8),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=0, max_value=8),
)
def test_an_old_entry_held_anywhere_over_a_sliding_window_never_deletes(
    size: int, step: int, where: int
) -> None:
    """Newest first, the intro held at any place of a rolling window of `size`: no delete."""
    seen: dict[str, SeenEntry] = {}
    top: PageTop | None = None
    for end in range(1, 30, step):
        window = [entry(i) for i in range(max(0, end - size), end)][::-1]
        place = min(where, len(window))
        page = [*window[:place], INTRO, *window[place:]]
        top = pins(page, top)
        diff = diff_entries(seen, page, pinned=top.pinned)
        assert diff.deleted == ()
        seen.update({u.uid: SeenEntry.of(u) for u in diff.new_or_changed})
