"""Tests for ingest.model.stream_ids: the one grammar of stream entry ids."""

from __future__ import annotations

import pytest

from ingest.model.stream_ids import check_since, is_entry_id, parse_stream_id


@pytest.mark.parametrize("value", ["0-0", "1485716460000-3", f"{2**64 - 1}-{2**64 - 1}"])
def test_full_ids_are_entry_ids(value: str) -> None:
    """A full ms-seq id in range is an entry id, and parses to the same two numbers."""
    assert is_entry_id(value)
    ms, seq = parse_stream_id(value)
    assert f"{ms}-{seq}" == value


@pytest.mark.parametrize("value", ["", "5", "5-", "-5", "a-1", "1-2-3", f"{2**64}-0", " 1-2"])
def test_other_strings_are_not_entry_ids(value: str) -> None:
    """A bare ms, a malformed or an out-of-range id is not an update's id."""
    assert not is_entry_id(value)


def test_a_bare_ms_is_a_cursor_but_not_an_id() -> None:
    """``5`` reads as ``5-0`` where a cursor is expected, never as an update's id."""
    assert parse_stream_id("5") == (5, 0)
    assert check_since("5") == "5-0"
    assert not is_entry_id("5")
