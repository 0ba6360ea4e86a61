"""Tests for ticker.terminal.french_format and ticker.terminal.safe_text: figures and text as the
ticker shows."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from ticker.terminal.french_format import (
    ago_label,
    change_label,
    decimal,
    delta_label,
    group_thousands,
    percent,
    time_label,
    voters_label,
)
from ticker.terminal.safe_text import first_paragraph, untrusted, untrusted_text

_PARIS = timezone(timedelta(hours=1))


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "0"), (999, "999"), (1000, "1 000"), (1_306_852, "1 306 852"), (-18_501, "-18 501")],
)
def test_group_thousands(number: int, expected: str) -> None:
    """Thousands are grouped with a space."""
    assert group_thousands(number) == expected


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (58.65, None, "58,65"),
        (60.0, None, "60"),
        (60.8, None, "60,8"),
        (60.8, 2, "60,80"),
        (12345.5, None, "12 345,5"),
        (-0.004, None, "0"),
    ],
)
def test_decimal(value: float, places: int | None, expected: str) -> None:
    """Decimals take a comma; trailing zeros go unless the places are fixed."""
    assert decimal(value, places=places) == expected


def test_percent_and_changes() -> None:
    """Percentages, point changes and relative changes read the French way."""
    assert percent(58.65) == "58,65 %"
    assert percent(60, places=2) == "60,00 %"
    assert delta_label(58.72 - 58.65) == "+0,07"
    assert delta_label(41.28 - 41.35) == "-0,07"
    assert delta_label(0.001) == "="
    assert change_label(30.6852) == "+30,7 %"
    assert change_label(-4.2) == "-4,2 %"
    assert change_label(0) == "±0 %"


@pytest.mark.parametrize(
    ("voters", "low", "high", "expected"),
    [
        (1_306_852, None, None, "1 306 852"),
        (None, 1_700_000, 2_000_000, "1,7\u20132 M"),
        (None, 8_000, 10_000, "8 000\u201310 000"),
        (None, 2_000_000, None, "plus de 2 M"),
        (None, 10_000, None, "plus de 10 000"),
        (None, None, 1_250_000, "moins de 1,25 M"),
        (None, None, None, None),
    ],
)
def test_voters_label(voters: int | None, low: int | None, high: int | None, expected: str) -> None:
    """Exact figures in full; ranges and bounds of millions in millions, as sources say them."""
    assert voters_label(voters, low=low, high=high) == expected


def test_time_label_keeps_the_night_and_its_morning() -> None:
    """The night shows its time; the morning after and other days carry their day."""
    night = date(2017, 1, 29)
    assert time_label(datetime(2017, 1, 29, 20, 41, tzinfo=_PARIS), night_date=night) == "20:41"
    assert time_label(datetime(2017, 1, 30, 0, 30, tzinfo=_PARIS), night_date=night) == "00:30"
    assert time_label(datetime(2017, 1, 30, 9, 5, tzinfo=_PARIS), night_date=night) == "lun. 09:05"
    week_before = datetime(2017, 1, 22, 23, 30, tzinfo=_PARIS)
    assert time_label(week_before, night_date=night) == "dim. 22/01"
    assert time_label(datetime(2017, 1, 22, 23, 30, tzinfo=_PARIS), night_date=None) == "23:30"


def test_ago_label() -> None:
    """How long ago, in seconds, minutes or hours."""
    assert ago_label(4.7) == "il y a 4 s"
    assert ago_label(185) == "il y a 3 min"
    assert ago_label(7300) == "il y a 2 h"
    assert ago_label(-3) == "il y a 0 s"


def test_untrusted_text_is_one_clean_line() -> None:
    """Escapes and controls go, markup stays as written, lines are joined."""
    raw = "[bold]a[/bold]\x1b[31m b\x07\r\nc \x1b]52;c;SGVsbG8=\x07d"
    assert untrusted(raw) == "[bold]a[/bold] b c d"
    text = untrusted_text(raw, "bold")
    assert text.plain == "[bold]a[/bold] b c d"
    assert untrusted(12) == "12"
    assert untrusted("x" * 500, max_length=10) == "xxxxxxxxx…"


def test_first_paragraph() -> None:
    """Only the first paragraph is kept, marked when there is more, and cut at the limit."""
    assert first_paragraph("Titre\n\nCorps", max_length=50) == "Titre …"
    assert first_paragraph("Court", max_length=50) == "Court"
    assert first_paragraph("a" * 60, max_length=10) == "aaaaaaaaa…"
