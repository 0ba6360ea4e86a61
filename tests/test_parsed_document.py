"""The pure parts the poller uses: a document parsed by its source type, the warning it makes."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.model.nights import find_night
from ingest.sources.flapping import Admission, damping_notes
from ingest.sources.parsed_document import (
    document_warning,
    joined_warnings,
    parse_document,
    problems_shown,
)
from ingest.sources.source_config import SourceConfig, SourceType

SEEN = datetime(2017, 1, 29, 19, 0, tzinfo=UTC)


def test_the_warning_puts_damping_first_and_shows_three() -> None:
    """The damper's notes come before the document's problems; at most three are shown."""
    assert document_warning(["held"], ["a", "b", "c"]) == "held; a; b"
    assert document_warning([], []) is None
    assert problems_shown(["a", "b", "c", "d"]) == "a; b; c"


def test_joined_warnings_leave_out_what_is_empty() -> None:
    """None and empty warnings are left out; nothing at all is None."""
    assert joined_warnings(None, "slot", "", "doc") == "slot; doc"
    assert joined_warnings(None, "") is None


def test_damping_notes_name_the_flapping_entries() -> None:
    """Flapping entries (the first three named) and held changes make one note each."""
    admission = Admission(admitted=frozenset(), held=2, flapping=("a", "b", "c", "d"))
    notes = damping_notes(admission)
    assert notes[0].startswith("4 entries flapping")
    assert "(a, b, c, ...)" in notes[0]
    assert notes[1].startswith("2 changes waiting")
    assert damping_notes(None) == []
    assert damping_notes(Admission(admitted=frozenset(), held=0, flapping=())) == []


FEED = """<?xml version="1.0" encoding="iso-8859-1"?>
<rss version="2.0"><channel><title>t</title>
<item><guid>g1</guid><title>Hamon en tête à 20 h</title>
<description>Benoît Hamon arrive en tête.</description>
<pubDate>Sun, 29 Jan 2017 19:05:00 GMT</pubDate></item>
</channel></rss>""".encode("iso-8859-1")


def test_a_feed_is_parsed_into_raw_entries_from_plain_values() -> None:
    """A feed's bytes (and its content type) give its entries, not extracted yet."""
    source = SourceConfig(name="feed", type=SourceType.FEED, url="http://127.0.0.1/f", interval=5)
    parsed = parse_document(
        source,
        FEED,
        charset=None,
        content_type="application/rss+xml",
        night=find_night(),
        seen=SEEN,
    )
    assert len(parsed.entries) == 1
    assert "Hamon en tête" in parsed.entries[0].text
    assert parsed.problems == []
