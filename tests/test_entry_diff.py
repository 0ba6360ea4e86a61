"""Tests for ingest.sources.entry_diff: new, edited and deleted entries, and the delete rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from ingest.model.update import Kind, Op, Update
from ingest.sources.entry_diff import SeenEntry, changed_updates, diff_entries

PARIS = timezone(timedelta(hours=1))
SEEN = datetime(2026, 1, 1, tzinfo=UTC)


def entry(minute: int, text: str = "texte") -> Update:
    """An entry at 21:<minute>, uid live:21<minute>."""
    return Update(
        uid=f"live:21{minute:02d}",
        at=datetime(2017, 1, 29, 21, minute, tzinfo=PARIS),
        source="live",
        kind=Kind.NEWS,
        text=text,
        seen=SEEN,
    )


def state(*updates: Update) -> dict[str, SeenEntry]:
    """What a poller remembers after these updates."""
    return {u.uid: SeenEntry.of(u) for u in updates}


def test_first_poll_is_all_new() -> None:
    """With nothing seen, every entry is new and nothing is deleted."""
    diff = diff_entries({}, [entry(2), entry(1)])
    assert [u.uid for u in diff.new_or_changed] == ["live:2102", "live:2101"]
    assert diff.deleted == ()


def test_unchanged_poll_is_empty() -> None:
    """The same entries seen again (at another time) change nothing."""
    later = replace(entry(1), seen=SEEN + timedelta(hours=1))
    assert diff_entries(state(entry(1)), [later]).empty


def test_edit_is_new_or_changed_once() -> None:
    """New content for a known uid is offered again; the same content after that is not."""
    diff = diff_entries(state(entry(1)), [entry(1, "corrigé")])
    assert [u.text for u in diff.new_or_changed] == ["corrigé"]
    assert diff_entries(state(entry(1, "corrigé")), [entry(1, "corrigé")]).empty


def test_removed_from_the_middle_is_deleted() -> None:
    """An entry newer than the oldest shown but gone from the page is deleted, with its content."""
    diff = diff_entries(state(entry(1), entry(2, "retiré"), entry(3)), [entry(3), entry(1)])
    assert [(u.uid, u.text) for u in diff.deleted] == [("live:2102", "retiré")]
    assert diff.new_or_changed == ()


def test_falling_off_the_end_is_not_a_delete() -> None:
    """A page of the latest N losing its oldest entries deletes nothing."""
    diff = diff_entries(state(entry(1), entry(2), entry(3)), [entry(4), entry(3)])
    assert diff.deleted == ()
    assert [u.uid for u in diff.new_or_changed] == ["live:2104"]


def test_same_minute_as_oldest_shown_is_not_deleted() -> None:
    """Only entries strictly newer than the oldest shown can be deleted."""
    a = entry(1)
    b = replace(a, uid="live:2101-2")
    assert diff_entries(state(a, b), [b]).deleted == ()


def test_empty_page_deletes_nothing() -> None:
    """A poll that found no entry is not taken as everything deleted."""
    assert diff_entries(state(entry(1), entry(2)), []).empty


def test_deleted_entry_is_not_deleted_twice_and_may_come_back() -> None:
    """A tombstoned entry stays deleted; seen again, it is new."""
    gone = SeenEntry.of(entry(2).as_delete(seen=SEEN))
    previous = {**state(entry(1), entry(3)), "live:2102": gone}
    assert diff_entries(previous, [entry(3), entry(1)]).empty
    back = diff_entries(previous, [entry(3), entry(2), entry(1)])
    assert [u.uid for u in back.new_or_changed] == ["live:2102"]


def test_seen_entry_round_trips_through_json() -> None:
    """The stored JSON reads back to the same entry, deletes included."""
    for update in (entry(1), entry(2).as_delete(seen=SEEN)):
        again = SeenEntry.from_json_text(SeenEntry.of(update).to_json_text())
        assert again.update == update
        assert again.deleted is (update.op is Op.DELETE)


def test_duplicate_uid_in_a_poll_counts_once() -> None:
    """A uid twice on a page is offered once (the first)."""
    diff = diff_entries({}, [entry(1, "a"), entry(1, "b")])
    assert [u.text for u in diff.new_or_changed] == ["a"]


@given(
    st.lists(st.integers(min_value=0, max_value=59), unique=True, min_size=1),
    st.integers(min_value=1, max_value=10),
)
def test_sliding_window_never_deletes(minutes: list[int], size: int) -> None:
    """Showing the latest `size` entries as the night goes on never produces a delete."""
    ordered = sorted(minutes)
    seen: dict[str, SeenEntry] = {}
    for end in range(1, len(ordered) + 1):
        window = [entry(m) for m in ordered[max(0, end - size) : end]][::-1]
        diff = diff_entries(seen, window)
        assert diff.deleted == ()
        seen.update(state(*diff.new_or_changed))


def test_a_pinned_intro_is_no_floor_for_deletions() -> None:
    """An intro dated 07:00 pinned on top: an entry gone from after it is still deleted.

    Without leaving the pinned entry out, the oldest entry shown would be 07:00 and nothing
    after it could fall off the end; with it left out the floor is the oldest live one.
    """
    intro = replace(entry(0, "Bienvenue dans ce direct"), at=datetime(2017, 1, 29, 7, tzinfo=PARIS))
    seen = state(intro, entry(1), entry(2, "retiré"), entry(3))
    diff = diff_entries(seen, [intro, entry(3), entry(2, "retiré")], pinned={intro.uid})
    assert diff.deleted == ()  # entry(1) fell off the end below the floor (21:02)
    diff = diff_entries(seen, [intro, entry(3), entry(1)], pinned={intro.uid})
    assert [u.uid for u in diff.deleted] == ["live:2102"]
    assert diff_entries(seen, [intro, entry(3)], pinned={intro.uid}).deleted == ()
    assert [u.uid for u in diff_entries(seen, [intro, entry(3)]).deleted] == [
        "live:2101",
        "live:2102",
    ]
    assert diff_entries(seen, [intro], pinned={intro.uid}).deleted == ()  # only pinned: no floor


def test_changed_updates_keeps_the_unseen_the_deleted_and_the_edited() -> None:
    """An update never seen, one for an entry seen deleted, and an edit pass; the same does not."""
    deleted = replace(entry(2), op=Op.DELETE)
    seen = state(entry(1), deleted, entry(3))
    updates = [entry(4), entry(1), entry(2), entry(3, "corrigé")]
    assert changed_updates(seen, updates) == [entry(4), entry(2), entry(3, "corrigé")]
    assert changed_updates({}, [entry(1)]) == [entry(1)]
    assert changed_updates(seen, []) == []


def test_a_diff_restricted_or_given_new_entries_keeps_what_it_should() -> None:
    """``only`` keeps the changes of the uids named; ``with_changes`` swaps the new entries and
    keeps the deletes."""
    diff = diff_entries(state(entry(1), entry(2), entry(3)), [entry(4), entry(3), entry(1)])
    assert [u.uid for u in diff.new_or_changed] == ["live:2104"]
    assert [u.uid for u in diff.deleted] == ["live:2102"]
    only = diff.only({"live:2102"})
    assert only.new_or_changed == ()
    assert [u.uid for u in only.deleted] == ["live:2102"]
    assert diff.only(set()).empty
    swapped = diff.with_changes([entry(5), entry(6)])
    assert [u.uid for u in swapped.new_or_changed] == ["live:2105", "live:2106"]
    assert isinstance(swapped.new_or_changed, tuple)
    assert swapped.deleted == diff.deleted
    assert diff.with_changes([]).new_or_changed == ()
    assert not diff.with_changes([]).empty
