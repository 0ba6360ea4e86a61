"""Results stated in votes and seats, and the totals of a count: rules for classes of sentences.

Pure. :func:`result_items` reads one sentence's whole numbers (``docs/extraction.md``, "Votes,
seats and totals"):

* **votes**: a number followed by ``voix`` or ``suffrages`` (not ``suffrages exprimés``)
  is the votes of the candidate or list written just before it ("Alain Claeys (PS) : 12 345
  voix"), else of the one it is given for ("12 345 voix pour la liste de Léonore Moncond'huy"),
  else of the nearest one named before it since the previous votes ("La liste EELV recueille
  12 345 voix, soit 42,8 %");
* **seats**: a number followed by ``sièges`` / ``élus`` / ``conseillers`` / ``sièges de
  conseillers`` is the seats of a list found the same way; ``sur 58`` or ``sur les 58`` just
  after is the seats at stake (``seats_total``), and so is a number of seats ``à pourvoir``;
* **totals**: ``N inscrits`` (registered, not "électeurs inscrits", which are the ones called
  to vote), ``N exprimés`` / ``N suffrages exprimés`` (cast), ``N blancs`` / ``N bulletins
  blancs`` (blank), ``N nuls`` (null), and the tables of regional dailies: ``Inscrits : 60 312``,
  ``Exprimés : 29 876``, ``Blancs : 412``, ``Nuls : 233``. Registered voters alone ("47 568 588
  inscrits sur les listes électorales") are the electorate, not a count: they are kept only
  beside another figure of this module in the same sentence, or in a table ("Inscrits : N").
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Final

from ingest.extraction.document import Document, Mention, Span
from ingest.extraction.french_numbers import NumberMatch

__all__ = ["NAME_GAP", "ResultItem", "result_items"]

#: What may stand between a name and its figure: "Valls 41 %", "Claeys (PS) : 38 %",
#: "Diaz (RN), 19 %",
#: "Moncond'huy (EELV-PCF) 42 %" (a label that is a spelling of the list, then more of it).
NAME_GAP: Final = re.compile(
    r"[^\S\n]*(?:[^()\n%0-9]{0,40}\)[^\S\n]*,?|\([^()\n%0-9]{1,40}\)[^\S\n]*,?)?"
    r"[^\S\n]*[:(\u2013\u2014-]?[^\S\n]*"
)
_GIVEN_GAP: Final = re.compile(
    r"\s*,?\s*(?:pour|à)\s*(?:[^\s,.;:()%0-9]+\s+){0,3}",
    re.IGNORECASE,
)
_VOTES_AFTER: Final = re.compile(r"\s*(?:voix|suffrages)\b(?!\s+exprim)", re.IGNORECASE)
_SEATS_AFTER: Final = re.compile(r"\s*(?:si[èe]ges|élus|conseillers)\b", re.IGNORECASE)
_SEATS_TOTAL_AFTER: Final = re.compile(
    r"\s*(?:\w+\s+){0,3}?sur\s+(?:les\s+)?(?P<total>[0-9]{1,4})(?![0-9]|[,.][0-9])",
    re.IGNORECASE,
)
_TO_FILL_AFTER: Final = re.compile(r"\s*si[èe]ges\s+(?:\w+\s+){0,2}?à\s+pourvoir", re.IGNORECASE)
_REGISTERED_AFTER: Final = re.compile(r"\s*inscrits\b", re.IGNORECASE)
_CAST_AFTER: Final = re.compile(r"\s*(?:suffrages\s+)?exprimés\b", re.IGNORECASE)
_BLANK_AFTER: Final = re.compile(r"\s*(?:bulletins\s+)?blancs\b", re.IGNORECASE)
_NULL_AFTER: Final = re.compile(r"\s*(?:bulletins\s+)?nuls\b", re.IGNORECASE)
#: The label of a results table's line: "Inscrits : 60 312", "Votants : 31 020".
_TABLE_LABEL: Final = re.compile(
    r"\b(?:(?P<registered>inscrits)|(?P<voters>votants)|(?P<cast>exprimés)|(?P<blank>blancs)"
    r"|(?P<null>nuls))\s*:\s*$",
    re.IGNORECASE,
)
_TOTAL_AFTER: Final = (
    ("registered", _REGISTERED_AFTER),
    ("cast", _CAST_AFTER),
    ("blank", _BLANK_AFTER),
    ("null", _NULL_AFTER),
)
MAX_SEATS: Final = 1000
#: A figure's unit, and the seats at stake after seats ("24 sièges sur 38"): where "pour X"
#: may follow.
_UNIT: Final = re.compile(r"\s*\w+(?:\s+sur\s+(?:\w+\s+)?[0-9]{1,4}(?![0-9]))?")
#: The share stated with votes, after their unit: "12 345 voix, soit 42,8 %", "(42,8 %)".
_THEN_SHARE: Final = re.compile(r"\s*(?:,\s*soit\s+|\(\s*)[0-9][0-9\s.,]*\s*%\s*\)?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ResultItem:
    """One result figure of a sentence: votes or seats of a candidate, or a total."""

    field: str
    value: int
    start: int
    end: int
    candidate: str | None = None


def _owner(
    document: Document, sentence: Span, start: int, end: int, *, floor: int, used: set[int]
) -> str | None:
    """The candidate or list a figure at ``[start, end)`` belongs to (rules above); ``end`` is
    past its unit ("12 345 voix", "24 sièges sur 38")."""
    named = document.mentions_in(sentence.start, sentence.end)
    ends = [mention.end for mention in named]
    starts = [mention.start for mention in named]
    index = bisect_right(ends, start) - 1
    if index >= 0 and NAME_GAP.fullmatch(document.text, ends[index], start):
        return _take(named, index, used)
    after = bisect_left(starts, end)
    if after < len(named) and _GIVEN_GAP.fullmatch(document.text, end, starts[after]):
        return _take(named, after, used)
    while index >= 0 and starts[index] >= floor:
        if index not in used:
            return _take(named, index, used)
        index -= 1
    share = _THEN_SHARE.match(document.text, end)
    # "10 211 voix, soit 35,42 %, pour Alain Claeys": the share's owner is the votes'.
    if (
        share is not None
        and after < len(named)
        and _GIVEN_GAP.fullmatch(document.text, share.end(), starts[after])
    ):
        return _take(named, after, used)
    return None


def _take(named: list[Mention], index: int, used: set[int]) -> str:
    used.add(index)
    return named[index].name


def result_items(
    document: Document, sentence: Span, numbers: list[NumberMatch]
) -> list[ResultItem]:
    """Votes, seats and totals stated by one sentence's whole numbers, in text order."""
    text, base = document.text, sentence.start
    items: list[ResultItem] = []
    floors = {"votes": base, "seats": base}
    used: dict[str, set[int]] = {"votes": set(), "seats": set()}
    labelled = False  # a total of a results table: "Inscrits : 60 312"
    for number in numbers:
        if number.percent or not isinstance(number.value, int):
            continue
        start, end = base + number.start, base + number.end
        before = text[max(base, start - 40) : start]
        field = _field(text, end, before, sentence.end)
        if field is None:
            continue
        if field in ("votes", "seats"):
            if field == "seats" and number.value > MAX_SEATS:
                continue
            unit = _UNIT.match(text, end, sentence.end)
            unit_end = end if unit is None else unit.end()
            owner = _owner(
                document, sentence, start, unit_end, floor=floors[field], used=used[field]
            )
            floors[field] = end
            if owner is not None:
                items.append(ResultItem(field, number.value, start, end, owner))
            if field == "seats":
                total = _SEATS_TOTAL_AFTER.match(text, end, sentence.end)
                if total is not None and int(total["total"]) >= number.value:
                    items.append(ResultItem("seats_total", int(total["total"]), start, end))
            continue
        items.append(ResultItem(field, number.value, start, end))
        labelled = labelled or _TABLE_LABEL.search(before) is not None
    if not labelled and all(item.field == "registered" for item in items):
        return []  # "47 568 588 inscrits sur les listes": the electorate, not a count's total
    return items


def _field(text: str, end: int, before: str, limit: int) -> str | None:
    """What a whole number ending at ``end`` counts, among the result figures (or None)."""
    if _TO_FILL_AFTER.match(text, end, limit):
        return "seats_total"
    if _SEATS_AFTER.match(text, end, limit):
        return "seats"
    if _VOTES_AFTER.match(text, end, limit):
        return "votes"
    for name, pattern in _TOTAL_AFTER:
        if pattern.match(text, end, limit):
            return name
    label = _TABLE_LABEL.search(before)
    return None if label is None else label.lastgroup
