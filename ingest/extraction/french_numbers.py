"""French number formats, as election-night texts write them.

Pure functions over strings. What they understand:

- decimals with a comma or a dot: ``58,72%``, ``36,03 %``, ``58.65%``, ``1,7 million``;
- thousands grouped with dots or spaces (plain, non-breaking U+00A0, narrow no-break U+202F,
  thin U+2009): ``1.306.852``, ``567.563``, ``10.000``, ``18 501``, ``15 000``, ``7 000``;
- multipliers, in digits or words: ``1 million``, ``2 millions``, ``deux millions``,
  ``3 milliards``, ``5 mille``;
- ranges: ``Entre 1,7 et 2 millions`` (the multiplier of the high end applies to the low end);
- percentages: a number followed by ``%`` or ``pour cent``.

The one real ambiguity is the dot: ``1.306.852`` is grouping, ``58.65%`` a decimal. A dot
followed by exactly three digits is grouping, unless the number is a percentage with a single
dot (``58.650 %`` is 58.65); any other dot is a decimal point. A comma is always a decimal point
(French never groups with commas). Only ASCII digits count: other scripts' digits are text.

Values come back as ``int`` when whole (``1,7 million`` is ``1700000``) and ``float`` otherwise;
arithmetic goes through :class:`decimal.Decimal`, so no binary rounding creeps in. Numbers longer
than :data:`MAX_DIGITS` digits are not numbers a newsroom reports and are ignored.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

__all__ = [
    "MAX_DIGITS",
    "NumberMatch",
    "RangeMatch",
    "find_numbers",
    "find_ranges",
    "parse_number",
    "parse_percentage",
    "parse_range",
    "to_number",
]

MAX_DIGITS: Final = 15

_WORD_VALUES: Final[dict[str, int]] = {
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "six": 6,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "treize": 13,
    "quatorze": 14,
    "quinze": 15,
    "seize": 16,
    "vingt": 20,
    "trente": 30,
    "quarante": 40,
    "cinquante": 50,
    "soixante": 60,
    "cent": 100,
}
_MULTIPLIERS: Final[dict[str, int]] = {
    "mille": 1_000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "milliard": 1_000_000_000,
    "milliards": 1_000_000_000,
}

_GROUP_SEPARATORS: Final = ".\u00a0\u202f\u2009 "
_WORDS: Final = "|".join(sorted(_WORD_VALUES, key=len, reverse=True))

# One quantity: a numeral (grouped, or plain with an optional decimal part) or a number word
# (only before a multiplier: a bare "un" is an article), then an optional multiplier, then an
# optional percent sign. Nothing may stick to it on either side (no "17h", no "F1").
_QUANTITY: Final = re.compile(
    r"(?<![\w.,])"
    r"(?:"
    r"(?P<grouped>[0-9]{1,3}(?P<sep>[.\u00a0\u202f\u2009 ])[0-9]{3}(?:(?P=sep)[0-9]{3})*)"
    r"(?![0-9])(?:,(?P<gfrac>[0-9]+))?"
    r"|(?P<plain>[0-9]+)(?:[.,](?P<frac>[0-9]+))?"
    r"|(?i:(?P<word>" + _WORDS + r"))(?=\s+(?i:mille|millions?|milliards?)\b)"
    r")"
    r"(?![.,][0-9])"
    r"(?:\s*(?P<mult>(?i:mille|millions?|milliards?))(?!\w))?"
    r"(?:\s*(?P<pct>%|(?i:pour\s?cent)(?!\w))|(?!\w))"
)
_RANGE_OPENING: Final = re.compile(r"(?i:\bentre)\s+$")
_RANGE_LINK: Final = re.compile(r"\s+(?i:et)\s+")


@dataclass(frozen=True, slots=True)
class NumberMatch:
    """A number found in a text: its value, where it is, and how it was written.

    ``start`` / ``end`` delimit the whole written quantity (multiplier and ``%`` included).
    ``grouped`` says the digits were written with thousands separators (``18 501``), which
    tells a count from a year (``2011``).
    """

    value: int | float
    start: int
    end: int
    percent: bool
    multiplier: int
    grouped: bool
    raw: str

    @property
    def multiplied(self) -> bool:
        """Whether a multiplier was written (``2 millions``, ``deux millions``)."""
        return self.multiplier != 1


@dataclass(frozen=True, slots=True)
class RangeMatch:
    """A range such as ``Entre 1,7 et 2 millions``: ``low`` and ``high`` with the multiplier."""

    low: int | float
    high: int | float
    start: int
    end: int
    percent: bool


def to_number(value: Decimal) -> int | float:
    """An ``int`` for a whole value, a ``float`` otherwise."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def _digits_value(match: re.Match[str]) -> Decimal | None:
    """The value of the numeral part of a :data:`_QUANTITY` match, before any multiplier."""
    word = match["word"]
    if word is not None:
        return Decimal(_WORD_VALUES[word.casefold()])
    grouped = match["grouped"]
    if grouped is not None:
        separator = match["sep"]
        groups = grouped.split(separator)
        if separator == "." and len(groups) == 2 and match["pct"] is not None:
            # "58.650 %": a percentage is never written with grouping; the dot is decimal.
            integer, fraction = groups
        else:
            integer, fraction = "".join(groups), match["gfrac"] or ""
    else:
        integer, fraction = match["plain"], match["frac"] or ""
    if len(integer.lstrip("0")) > MAX_DIGITS or len(fraction) > MAX_DIGITS:
        return None
    return Decimal(f"{integer}.{fraction}" if fraction else integer)


def _number_match(match: re.Match[str]) -> NumberMatch | None:
    value = _digits_value(match)
    if value is None:
        return None
    written = match["mult"]
    multiplier = 1 if written is None else _MULTIPLIERS[written.casefold()]
    return NumberMatch(
        value=to_number(value * multiplier),
        start=match.start(),
        end=match.end(),
        percent=match["pct"] is not None,
        multiplier=multiplier,
        grouped=match["grouped"] is not None,
        raw=match.group(),
    )


def find_numbers(text: str) -> list[NumberMatch]:
    """Every number in ``text``, in order (see the module docstring for the formats)."""
    found: list[NumberMatch] = []
    for match in _QUANTITY.finditer(text):
        number = _number_match(match)
        if number is not None:
            found.append(number)
    return found


def _range_from(low: NumberMatch, high: NumberMatch) -> RangeMatch | None:
    low_value = Decimal(str(low.value))
    if high.multiplied and not low.multiplied:
        # "Entre 1,7 et 2 millions": the multiplier is written once, for both ends.
        low_value *= high.multiplier
    low_number = to_number(low_value)
    if low_number > high.value:
        return None
    return RangeMatch(
        low=low_number,
        high=high.value,
        start=low.start,
        end=high.end,
        percent=high.percent,
    )


def find_ranges(text: str) -> list[RangeMatch]:
    """Every ``entre X et Y`` range in ``text``, in order; ``start`` is that of ``X``."""
    numbers = find_numbers(text)
    ranges: list[RangeMatch] = []
    for low, high in itertools.pairwise(numbers):
        if low.percent and not high.percent:
            continue
        if not _RANGE_OPENING.search(text, max(0, low.start - 16), low.start):
            continue
        if not _RANGE_LINK.fullmatch(text, low.end, high.start):
            continue
        found = _range_from(low, high)
        if found is not None:
            ranges.append(found)
    return ranges


def _only_number(text: str) -> NumberMatch | None:
    stripped = text.strip()
    match = _QUANTITY.fullmatch(stripped)
    return None if match is None else _number_match(match)


def parse_number(text: str) -> int | float | None:
    """The number that ``text`` is, or None: ``"1.306.852"`` -> 1306852, ``"58,72%"`` -> 58.72."""
    number = _only_number(text)
    return None if number is None else number.value


def parse_percentage(text: str) -> int | float | None:
    """The percentage that ``text`` is (``"58,72 %"`` -> 58.72), or None if it is not one."""
    number = _only_number(text)
    return None if number is None or not number.percent else number.value


def parse_range(text: str) -> tuple[int | float, int | float] | None:
    """The first range ``text`` states (``"Entre 1,7 et 2 millions"``) as ``(low, high)``."""
    ranges = find_ranges(text)
    return None if not ranges else (ranges[0].low, ranges[0].high)
