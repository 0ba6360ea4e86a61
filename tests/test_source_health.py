"""The source health record without Redis: its transitions, hash round trip and redaction."""

from __future__ import annotations

from datetime import UTC, datetime

from ingest.sources.source_health import SourceHealth

NOW = datetime(2017, 1, 29, 20, 0, tzinfo=UTC)


def test_a_record_survives_its_hash_form() -> None:
    """to_hash then from_hash gives the same record back (counters are kept by Redis)."""
    health = SourceHealth(source="blog", type="liveblog", url="https://example.org/live").succeeded(
        now=NOW,
        outcome="ok",
        status=200,
        poll_seconds=0.25,
        entries=12,
        latency_seconds=0.5,
        skipped={"no_text": 2},
    )
    assert SourceHealth.from_hash("blog", health.to_hash()) == health
    assert health.to_json()["last_success"] == NOW.isoformat()


def test_unreadable_hash_fields_are_taken_as_absent() -> None:
    """A hash with garbage values reads back without failing, the bad fields absent."""
    health = SourceHealth.from_hash(
        "blog",
        {
            "state": "on fire",
            "last_poll": "yesterday",
            "consecutive_errors": "many",
            "skipped": '{"no_text": -1}',
            "interval": "5",
        },
    )
    assert health == SourceHealth(source="blog", interval=5.0)


def test_credentials_never_enter_the_record() -> None:
    """A source URL's password and an error quoting it are masked as the record is made."""
    health = SourceHealth(source="blog", url="https://user:hunter2@example.org/live").failed(
        now=NOW,
        outcome="http_error",
        error="GET https://user:hunter2@example.org/live: 500",
        status=500,
        poll_seconds=0.1,
    )
    assert "hunter2" not in health.url
    assert health.last_error is not None
    assert "hunter2" not in health.last_error
    assert health.consecutive_errors == 1
    assert health.state == "error"
