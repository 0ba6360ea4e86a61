"""Tests for ingest.extraction.entries: raw entries extract to the updates the replay builds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ingest.extraction.entries import (
    TextEntry,
    build_update,
    build_updates,
    same_entry,
    update_from_text,
)
from ingest.model.update import UpdateError
from ingest.sources.entry_diff import EVERY_ENTRY, SeenEntry, changed_updates, diff_entries
from replay.night_fixture import NightFixture


def test_raw_entry_extracts_to_the_update_with_its_own_seen(sources_night: NightFixture) -> None:
    """Every liveblog entry, as a raw entry extracted later, is what update_from_text builds."""
    night = sources_night.night
    first = datetime(2026, 1, 1, tzinfo=UTC)
    for when in (first, first + timedelta(seconds=5)):
        for entry in sources_night.liveblog:
            raw = TextEntry.of(source="liveblog", key=entry.key, at=entry.at, text=entry.text)
            built = build_update(raw, night=night, seen=when)
            plain = update_from_text(
                source="liveblog", key=entry.key, at=entry.at, text=entry.text, night=night,
                seen=when,
            )  # fmt: skip
            assert built == plain
            assert built.seen == when
            assert raw.same_content(plain)


def test_same_content_is_time_and_text(sources_night: NightFixture) -> None:
    """A raw entry has a built update's content until its time or its text changes."""
    night = sources_night.night
    seen = datetime(2026, 1, 1, tzinfo=UTC)
    entry = sources_night.liveblog[0]
    raw = TextEntry.of(source="liveblog", key=entry.key, at=entry.at, text=entry.text)
    built = raw.to_update(night=night, seen=seen)
    assert raw.same_content(built)
    edited = TextEntry.of(source="liveblog", key=entry.key, at=entry.at, text="autre texte")
    assert not edited.same_content(built)
    later = TextEntry.of(
        source="liveblog", key=entry.key, at=entry.at + timedelta(minutes=1), text=entry.text
    )
    assert not later.same_content(built)
    assert same_entry(raw, TextEntry.of(source="liveblog", key=entry.key, at=entry.at,
                                        text=f"  {entry.text} "))  # fmt: skip
    assert not same_entry(raw, edited)
    # A checkpoint is already an update: compared by content, whatever its seen.
    assert same_entry(built, build_update(built, night=night, seen=seen + timedelta(hours=1)))


def test_a_raw_entry_no_update_could_hold_is_refused() -> None:
    """A uid over 200 characters or a naive time is refused as Update would refuse it."""
    with pytest.raises(UpdateError):
        TextEntry.of(source="s", key="k" * 300, at=datetime(2017, 1, 29, tzinfo=UTC), text="x")
    with pytest.raises(UpdateError):
        TextEntry.of(source="s", key="k", at=datetime(2017, 1, 29), text="x")  # noqa: DTZ001


def test_build_updates_keeps_order(sources_night: NightFixture) -> None:
    """build_updates extracts every entry, in order, with no problem for valid ones."""
    night = sources_night.night
    seen = datetime(2026, 1, 1, tzinfo=UTC)
    raws = [
        TextEntry.of(source="liveblog", key=e.key, at=e.at, text=e.text)
        for e in sources_night.liveblog[:5]
    ]
    updates, problems = build_updates(raws, night=night, seen=seen)
    assert problems == []
    assert [u.uid for u in updates] == [r.uid for r in raws]


def test_the_diff_compares_raw_entries_and_rechecks_on_demand(sources_night: NightFixture) -> None:
    """Raw entries unchanged since their update: no change; recheck offers them, and
    changed_updates keeps only those whose update differs."""
    night = sources_night.night
    seen = datetime(2026, 1, 1, tzinfo=UTC)
    raws = [
        TextEntry.of(source="liveblog", key=e.key, at=e.at, text=e.text)
        for e in sources_night.liveblog[:4]
    ]
    state = {r.uid: SeenEntry.of(r.to_update(night=night, seen=seen)) for r in raws}
    assert diff_entries(state, raws).empty
    edited = [*raws[:3], TextEntry.of(source="liveblog", key="x", at=raws[3].at, text="neuf")]
    diff = diff_entries(state, edited)
    assert [e.uid for e in diff.new_or_changed] == ["liveblog:x"]
    assert [u.uid for u in diff.deleted] == [raws[3].uid]
    assert diff.only({"liveblog:x"}).deleted == ()
    assert diff.only({raws[3].uid}).new_or_changed == ()
    again = diff_entries(state, raws, recheck=EVERY_ENTRY)
    assert [e.uid for e in again.new_or_changed] == [r.uid for r in raws]
    rebuilt, _ = build_updates(again.new_or_changed, night=night, seen=seen)
    assert changed_updates(state, rebuilt) == []
    other = replace(rebuilt[0], text="autre extraction")
    assert changed_updates(state, [other]) == [other]
