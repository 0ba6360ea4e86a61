"""ingest.sources.entry_diff: the order of deletions, whatever order the poller remembered them
in."""

from __future__ import annotations

from ingest.sources.entry_diff import diff_entries
from tests.test_entry_diff import entry, state


def test_deletions_come_oldest_first_whatever_was_remembered_first() -> None:
    """Three entries gone from the middle of the page are deleted oldest first."""
    remembered = state(entry(9), entry(4), entry(7), entry(1), entry(12))
    diff = diff_entries(remembered, [entry(12), entry(1)])
    assert [update.uid for update in diff.deleted] == ["live:2104", "live:2107", "live:2109"]
