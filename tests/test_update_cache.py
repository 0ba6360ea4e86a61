"""Tests for ingest.extraction.update_cache: memoised updates are the uncached ones, stamped
anew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.extraction.entries import update_from_text
from ingest.extraction.update_cache import update_from_text_cached
from replay.fixtures import NightFixture


def test_cached_equals_uncached_with_its_own_seen(sources_night: NightFixture) -> None:
    """Every liveblog entry built through the cache is what update_from_text builds."""
    night = sources_night.night
    first = datetime(2026, 1, 1, tzinfo=UTC)
    for when in (first, first + timedelta(seconds=5)):
        for entry in sources_night.liveblog:
            cached = update_from_text_cached(
                source="liveblog", key=entry.key, at=entry.at, text=entry.text, night=night,
                seen=when,
            )  # fmt: skip
            plain = update_from_text(
                source="liveblog", key=entry.key, at=entry.at, text=entry.text, night=night,
                seen=when,
            )  # fmt: skip
            assert cached == plain
            assert cached.seen == when
