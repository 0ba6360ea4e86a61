"""Tests for ingest.sources.results_parser: the results JSON to one update per checkpoint."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from ingest.model.night import Night
from ingest.model.update import Kind
from ingest.sources.results_parser import ResultsParseError, parse_results
from replay.emulated.documents import results_json
from replay.night_fixture import NightFixture

SEEN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017."""
    return sources_night.night


def test_emulated_endpoint_gives_every_checkpoint(sources_night: NightFixture) -> None:
    """Each checkpoint becomes results:<id> with its kind, round, figures and publication time."""
    night = sources_night.night
    document = results_json(sources_night, datetime(2017, 12, 31, tzinfo=night.timezone))
    page = parse_results(json.dumps(document), source="results", night=night, seen=SEEN)
    assert page.problems == []
    assert [u.uid for u in page.updates] == [f"results:{c.id}" for c in sources_night.checkpoints]
    for update, checkpoint in zip(page.updates, sources_night.checkpoints, strict=True):
        assert update.at == checkpoint.published
        assert update.kind is checkpoint.kind
        assert update.figures == checkpoint.figures
        assert update.round == checkpoint.round


def test_bad_checkpoint_left_out_others_kept(night: Night) -> None:
    """A checkpoint that does not validate is reported; the rest still count."""
    good = {
        "id": "count-2041", "published": "2017-01-29T20:41:00+01:00", "kind": "count",
        "round": 2, "text": "58,65 %", "figures": {"shares": {"Benoît Hamon": 58.65}},
    }  # fmt: skip
    document = {
        "checkpoints": [
            good,
            {**good, "id": "bad-pct", "figures": {"shares": {"X": 140}}},
            {**good, "id": "no-offset", "published": "2017-01-29T20:41:00"},
            {**good, "id": "bad kind", "kind": "gossip"},
            good,
            "not an object",
        ]
    }
    page = parse_results(json.dumps(document), source="r", night=night, seen=SEEN)
    assert [u.uid for u in page.updates] == ["r:count-2041"]
    assert page.updates[0].kind is Kind.COUNT
    assert len(page.problems) == 5


@pytest.mark.parametrize("body", [b"<html>", b"[]", b'{"latest": null}', b"\xff\xfe"])
def test_not_the_results_document(night: Night, body: bytes) -> None:
    """Anything but a JSON object with a checkpoints list raises ResultsParseError."""
    with pytest.raises(ResultsParseError):
        parse_results(body, source="r", night=night, seen=SEEN)
