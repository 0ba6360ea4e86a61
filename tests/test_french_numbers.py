"""French number formats: decimals, thousands grouping, multipliers, words and ranges."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.extraction.french_numbers import (
    MAX_DIGITS,
    find_numbers,
    find_ranges,
    parse_number,
    parse_percentage,
    parse_range,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("58,72%", 58.72),
        ("58.65%", 58.65),
        ("36,03%", 36.03),
        ("38,18 %", 38.18),
        ("54,7\u00a0%", 54.7),
        ("58.650 %", 58.65),
        ("45 pour cent", 45),
        ("100%", 100),
    ],
)
def test_percentages(text: str, value: float) -> None:
    """Percentages with a comma or a dot as decimal point, with or without a space."""
    assert parse_percentage(text) == value
    assert parse_number(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.306.852", 1_306_852),
        ("567.563", 567_563),
        ("18 501", 18_501),
        ("18\u00a0501", 18_501),
        ("18\u202f501", 18_501),
        ("18\u2009501", 18_501),
        ("10.000", 10_000),
        ("15 000", 15_000),
        ("12.000", 12_000),
        ("400.000", 400_000),
        ("400 000", 400_000),
        ("4503", 4503),
        ("11234", 11234),
        ("7 000", 7000),
        ("1 306 852", 1_306_852),
        ("12.000,5", 12000.5),
    ],
)
def test_grouped_counts(text: str, value: int) -> None:
    """Thousands grouped with dots or any kind of space are whole counts."""
    parsed = parse_number(text)
    assert parsed == value
    assert type(parsed) is type(value)
    assert parse_percentage(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 million", 1_000_000),
        ("2 millions", 2_000_000),
        ("deux millions", 2_000_000),
        ("Deux Millions", 2_000_000),
        ("un million", 1_000_000),
        ("1,7 million", 1_700_000),
        ("1,7\u00a0millions", 1_700_000),
        ("3 milliards", 3_000_000_000),
        ("cinq mille", 5_000),
    ],
)
def test_multipliers(text: str, value: int) -> None:
    """Multipliers in digits or words give exact whole numbers (1,7 million is 1700000)."""
    parsed = parse_number(text)
    assert parsed == value
    assert isinstance(parsed, int)


def test_dot_is_grouping_only_before_three_digits() -> None:
    """A dot before exactly three digits groups thousands; before two it is a decimal point."""
    assert parse_number("58.65") == 58.65
    assert parse_number("58.650") == 58_650
    assert parse_number("1.5") == 1.5
    assert parse_number("1.306.852") == 1_306_852


def test_range_with_shared_multiplier() -> None:
    """A range's multiplier applies to both ends: "Entre 1,7 et 2 millions" is 1.7M to 2M."""
    assert parse_range("Entre 1,7 et 2 millions de votants") == (1_700_000, 2_000_000)
    (found,) = find_ranges("selon le PS, entre 1,7 et 2 millions de votants")
    assert (found.low, found.high, found.percent) == (1_700_000, 2_000_000, False)


def test_range_of_percentages_and_inverted_ranges() -> None:
    """A range of percentages is a percent range; a range whose low end is higher is none."""
    (found,) = find_ranges("entre 55 et 60 % des voix")
    assert (found.low, found.high, found.percent) == (55, 60, True)
    assert parse_range("entre 5 et 2 millions") is None
    assert parse_range("1,7 et 2 millions") is None


@pytest.mark.parametrize("text", ["", "17h", "21h15", "F1", "x", "2e", "1e309", "58,", "%", "un"])
def test_not_numbers(text: str) -> None:
    """Times, words with digits and bare words are not numbers."""
    assert parse_number(text) is None


def test_find_numbers_in_a_sentence() -> None:
    """Every number of a sentence, with its span, percent flag and grouping."""
    text = (
        "Participation en hausse à 17h: Sur 75% des bureaux de vote, 1.306.852 votants "
        "contre 1 million la semaine dernière sur 70% des bureaux."
    )
    found = find_numbers(text)
    assert [(n.value, n.percent) for n in found] == [
        (75, True),
        (1_306_852, False),
        (1_000_000, False),
        (70, True),
    ]
    assert [text[n.start : n.end] for n in found] == ["75%", "1.306.852", "1 million", "70%"]
    assert [n.grouped for n in found] == [False, True, False, False]
    assert found[2].multiplied


def test_glued_sentences_and_years() -> None:
    """Numbers glued to a full stop are found; a year stays a plain ungrouped number."""
    found = find_numbers(
        "avec 17,03%.Benoit ... Il y a eu 11234 votants.A En 2011 ils étaient 32 000."
    )
    assert [n.value for n in found] == [17.03, 11234, 2011, 32000]
    assert [n.grouped for n in found] == [False, False, False, True]


def test_huge_numbers_are_ignored() -> None:
    """Digit strings longer than MAX_DIGITS are not numbers anyone reports."""
    assert parse_number("9" * (MAX_DIGITS + 1)) is None
    assert parse_number("9" * MAX_DIGITS) == int("9" * MAX_DIGITS)
    assert find_numbers("9" * 10_000 + " votants") == []


def test_other_scripts_digits_are_text() -> None:
    """Only ASCII digits make numbers (no Arabic-Indic or full-width digits)."""
    assert find_numbers("١٢٣ votants et \uff11\uff12 %") == []


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), st.sampled_from([".", " ", "\u00a0", "\u202f"]))
def test_grouped_integers_round_trip(value: int, separator: str) -> None:
    """Any whole number written with French grouping parses back to itself."""
    written = f"{value:,}".replace(",", separator)
    assert parse_number(written) == value


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=99))
def test_decimal_percentages_round_trip(whole: int, hundredths: int) -> None:
    """Any percentage written with a comma and two decimals parses back to itself."""
    written = f"{whole},{hundredths:02d} %"
    assert parse_percentage(written) == pytest.approx(whole + hundredths / 100)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_find_numbers_never_raises(text: str) -> None:
    """Any text gives numbers with sound spans and finite, non-negative values."""
    for number in find_numbers(text):
        assert 0 <= number.start < number.end <= len(text)
        assert number.value >= 0
    for found in find_ranges(text):
        assert found.low <= found.high
