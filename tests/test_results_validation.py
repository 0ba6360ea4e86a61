"""One bad checkpoint never costs the others: results validated checkpoint by checkpoint."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.model.night import Night
from ingest.sources.results_parser import ResultsParseError, parse_results
from replay.night_fixture import NightFixture

SEEN = datetime(2026, 1, 1, tzinfo=UTC)
INGEST = Path(__file__).resolve().parent.parent / "ingest"


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017."""
    return sources_night.night


def _checkpoint(id_: str, round_: object) -> dict[str, object]:
    return {
        "id": id_, "published": "2017-01-29T20:41:00+01:00", "kind": "count",
        "round": round_, "text": "58,65 %", "figures": {"shares": {"Benoît Hamon": 58.65}},
    }  # fmt: skip


def test_an_integral_float_is_a_round_and_other_rounds_leave_only_their_checkpoint_out(
    night: Night,
) -> None:
    """round 2.0 is round 2; 2.5, "2", true, 3 or a list drop only their checkpoint, with why."""
    document = json.dumps(
        {
            "checkpoints": [
                _checkpoint("float", 2.0),
                _checkpoint("int", 1),
                _checkpoint("half", 2.5),
                _checkpoint("string", "2"),
                _checkpoint("bool", True),
                _checkpoint("three", 3),
                _checkpoint("list", [[2]]),
                _checkpoint("none", None),
            ]
        }
    )
    page = parse_results(document, source="r", night=night, seen=SEEN)
    assert [(u.uid, u.round) for u in page.updates] == [
        ("r:float", 2),
        ("r:int", 1),
        ("r:none", None),
    ]
    assert type(page.updates[0].round) is int
    assert page.updates[0].content_json()["round"] == 2
    assert len(page.problems) == 5
    assert all("round: must be 1 or 2" in problem for problem in page.problems)
    assert "got a JSON list" in page.problems[-1]


def test_json_nested_100000_deep_is_a_parse_error_not_a_crash(night: Night) -> None:
    """A document nested 100,000 deep is a ResultsParseError naming the depth."""
    deep = '{"checkpoints": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(ResultsParseError, match="nested deeper"):
        parse_results(deep, source="r", night=night, seen=SEEN)


def test_no_assert_guards_anything_in_ingest() -> None:
    """No ``assert`` statement in ingest/: python -O strips them and input must meet real checks."""
    found = [
        f"{path.relative_to(INGEST.parent)}:{node.lineno}"
        for path in sorted(INGEST.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Assert)
    ]
    assert found == []


@pytest.mark.parametrize(
    "published",
    ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "1853-01-01T12:00:00+00:00"],
)
def test_a_checkpoint_dated_out_of_any_calendar_leaves_only_itself_out(
    published: str, night: Night
) -> None:
    """A date past 9999 in UTC (or in the night's zone), or before 1970, is that checkpoint's
    problem: before, its OverflowError failed the whole document (internal_error)."""
    document = json.dumps(
        {"checkpoints": [_checkpoint("odd", 2) | {"published": published}, _checkpoint("ok", 2)]}
    )
    page = parse_results(document, source="r", night=night, seen=SEEN)
    assert [update.uid for update in page.updates] == ["r:ok"]
    assert page.skipped["invalid"] == 1
    assert len(page.problems) == 1
    assert "odd: published: " in page.problems[0]
