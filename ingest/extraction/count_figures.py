"""What the whole numbers of a sentence count: voters, polling stations, comparison points.

Pure. Rules (:func:`count_items`): voters are numbers followed by ``votants`` / ``électeurs`` (or
``personnes`` / ``Français`` who voted or turned out), unless they are registered, called to vote
or expected (``inscrits``, ``appelés``, ``attendus``, ``convoqués``); ``Entre 1,7 et 2 millions de
votants`` gives ``voters_low`` and ``voters_high``, and a lower bound ("plus de deux millions", "au
moins") ``voters_low``; a number of stations is followed by ``bureaux``; in a paragraph about
participation, a bare count followed by a département ("un peu plus de 10.000 en Aveyron") is that
département's voters. After ``contre``, or before "au premier tour" / "en 2012", voters are the
comparison point (``previous``). Counts above :data:`MAX_VOTERS` are not counts.
"""

from __future__ import annotations

import re
from typing import Final

from ingest.extraction.document import Document, Span
from ingest.extraction.figure_items import (
    CONTRE_BEFORE,
    FigureItem,
    is_approx,
    text_after,
    text_before,
)
from ingest.extraction.french_numbers import NumberMatch, RangeMatch, find_ranges
from ingest.extraction.scopes import PLACE_GAP

__all__ = ["MAX_VOTERS", "count_items"]

MAX_VOTERS: Final = 100_000_000  # more than every registered voter in France: not a count
# "plus de deux millions", "un peu plus de 10.000", "au moins": a lower bound, not a count.
_AT_LEAST_BEFORE: Final = re.compile(
    r"(?:(?:un\s+peu\s+)?plus|au-delà)\s+d(?:e\s+|['\u2019])(?:les\s+)?$"
    r"|au\s+moins\s+(?:les\s+)?$",
    re.IGNORECASE,
)
_VOTERS_AFTER: Final = re.compile(
    r"\s*(?:de\s+|d['\u2019]\s*)?(?:votants|électeurs|électrices|participants)\b", re.IGNORECASE
)
_PEOPLE_AFTER: Final = re.compile(
    r"\s*(?:de\s+|d['\u2019]\s*)?(?:personnes|Français|citoyens|sympathisants)\b"
    r"[^.;]{0,60}?\b(?:vot|d[ée]plac|particip)",
    re.IGNORECASE,
)
# "47,5 millions d'électeurs inscrits sont appelés aux urnes", "1 200 000 votants sont
# attendus": the registered or expected voters, not a count of those who voted.
_NOT_VOTED_AFTER: Final = re.compile(
    r"[^.;:]{0,40}?\b(?:inscrits?|appelée?s|attendue?s|convoquée?s)\b", re.IGNORECASE
)
_STATIONS_AFTER: Final = re.compile(r"\s*bureaux\b", re.IGNORECASE)
_EARLIER_ROUND_AFTER: Final = re.compile(
    r"(?:(?!contre\b)[^,.;:]){0,60}?\b(?:(?P<first>premier\s+tour)|semaine\s+dernière"
    r"|en\s+(?:19|20)[0-9]{2})",
    re.IGNORECASE,
)


def _in_range(number: NumberMatch, ranges: list[RangeMatch]) -> bool:
    return any(found.start <= number.start and number.end <= found.end for found in ranges)


def _range_items(document: Document, sentence: Span, ranges: list[RangeMatch]) -> list[FigureItem]:
    """``Entre 1,7 et 2 millions de votants``: voters_low and voters_high."""
    items: list[FigureItem] = []
    for found in ranges:
        if found.percent or not _VOTERS_AFTER.match(text_after(document.text, sentence, found)):
            continue
        if not isinstance(found.low, int) or not isinstance(found.high, int):
            continue
        if found.high > MAX_VOTERS:
            continue
        start, end = sentence.start + found.start, sentence.start + found.end
        items.append(FigureItem("voters_low", found.low, start, end))
        items.append(FigureItem("voters_high", found.high, start, end))
    return items


def _is_year(number: NumberMatch) -> bool:
    return not number.grouped and not number.multiplied and 1900 <= number.value <= 2100


def _count_field(
    document: Document, paragraph: Span, sentence: Span, number: NumberMatch, has_voters: bool
) -> str | None:
    """What a whole number counts: voters (now or before), stations, or nothing we know."""
    text = document.text
    before, after = text_before(text, sentence, number), text_after(text, sentence, number)
    if _NOT_VOTED_AFTER.match(after):
        return None  # registered, called to vote, expected: no one has voted yet
    if has_voters and CONTRE_BEFORE.search(before):
        return "previous.voters"
    if _VOTERS_AFTER.match(after) or _PEOPLE_AFTER.match(after):
        return "previous.voters" if _EARLIER_ROUND_AFTER.match(after) else "voters"
    if _STATIONS_AFTER.match(after):
        return "stations"
    place = document.next_departement(sentence.start + number.end)
    if (
        place is not None
        and not _is_year(number)
        and PLACE_GAP.fullmatch(text, sentence.start + number.end, place.start)
        and document.speaks_of_turnout(paragraph)
    ):
        return "voters"
    return None


def _follows_first_round(document: Document, sentence: Span, number: NumberMatch) -> bool:
    """``12.000 Français avaient participé au premier tour``: a first-round comparison point."""
    match = _EARLIER_ROUND_AFTER.match(text_after(document.text, sentence, number))
    return match is not None and match["first"] is not None


def count_items(
    document: Document, paragraph: Span, sentence: Span, numbers: list[NumberMatch]
) -> list[FigureItem]:
    """Voters, stations and comparison points stated by a sentence's whole numbers."""
    ranges = find_ranges(document.text[sentence.start : sentence.end])
    items = _range_items(document, sentence, ranges)
    has_voters = bool(items)
    for number in numbers:
        if number.percent or _in_range(number, ranges) or not isinstance(number.value, int):
            continue
        if number.value > MAX_VOTERS:
            continue
        name = _count_field(document, paragraph, sentence, number, has_voters)
        if name is None:
            continue
        before = text_before(document.text, sentence, number)
        if name == "voters" and _AT_LEAST_BEFORE.search(before):
            name = "voters_low"
        start, end = sentence.start + number.start, sentence.start + number.end
        items.append(FigureItem(name, number.value, start, end, is_approx(before)))
        if name == "previous.voters" and _follows_first_round(document, sentence, number):
            items.append(FigureItem("previous.round", 1, start, end))
        has_voters = has_voters or name == "voters"
    return items
