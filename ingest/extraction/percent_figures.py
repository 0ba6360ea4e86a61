"""What the percentages of a sentence state: shares, counted share, station shares, changes, rates.

Pure. Rules (:func:`percent_items`): each percentage is classified as counted share (``à 60% du
dépouillement``, ``résultats partiels portant sur 60 % des bureaux``), share of polling stations
(``Sur 75% des bureaux``, ``sur 63%`` in a sentence about bureaux), change (``hausse de 25,9 %``;
kept for turnout only), a rate of turnout, abstention, blank or null votes
(:mod:`ingest.extraction.rates`; a rate after ``contre`` is the comparison's,
``previous.rate_pct`` with its year and round; nobody's: a rate right after a candidate's name is
dropped) or vote share, whose candidate :mod:`ingest.extraction.share_owners` finds; percentages
above 100 are ignored. After ``contre``, a share of stations is the comparison point
(``previous.stations_pct``). A share in a sentence that cites a poll, an institute or estimates
(:data:`ESTIMATE_CUE`) is an estimate.
"""

from __future__ import annotations

import re
from typing import Final

from ingest.extraction.document import Document, Span
from ingest.extraction.figure_items import (
    APPROX,
    CONTRE,
    CONTRE_BEFORE,
    FigureItem,
    is_approx,
    text_after,
    text_before,
)
from ingest.extraction.french_numbers import NumberMatch
from ingest.extraction.rates import RATE_FIELDS, comparison, rate_field
from ingest.extraction.share_owners import pair_shares

__all__ = ["ESTIMATE_CUE", "percent_items"]

#: A poll, an institute, an exit poll, estimates or party sources: what makes a figure an estimate.
ESTIMATE_CUE: Final = re.compile(
    r"\bestimations?\b|\bsondages?\b|\bsortie\s+des\s+urnes\b|\binstituts?\b|\bprojections?\b"
    r"|\bsources?\s+(?:PS|du\s+PS|socialistes?|proches?|internes?|concordantes?)\b"
    r"|\bpremi[èe]res\s+tendances\b"
    r"|\b(?:Ifop|Ipsos|Elabe|OpinionWay|Odoxa|BVA|Harris\s+Interactive|Kantar|Sofres|Viavoice)\b",
    re.IGNORECASE,
)
_COUNTED_AFTER: Final = re.compile(
    r"\s*(?:du\s+d[ée]pouillement|des\s+(?:bulletins|voix|votes|bureaux)(?:\s+de\s+vote)?\s+"
    r"(?:ont\s+été\s+|sont\s+)?d[ée]pouill)",
    re.IGNORECASE,
)
_COUNTED_BEFORE: Final = re.compile(
    r"(?:d[ée]pouill\w*\s+(?:de\s+|à\s+|sur\s+)?|résultats\s+(?:partiels\s+)?sur\s+"
    r"|\bportant\s+sur\s+)" + APPROX + r"?$",
    re.IGNORECASE,
)
_STATIONS_PCT_AFTER: Final = re.compile(r"\s*des\s+bureaux\b", re.IGNORECASE)
_STATIONS_PCT_BEFORE: Final = re.compile(r"\bsur\s+" + APPROX + r"?$", re.IGNORECASE)
_MENTIONS_STATIONS: Final = re.compile(r"\bbureaux\b", re.IGNORECASE)
_CHANGE_BEFORE: Final = re.compile(
    r"\b(?P<direction>hausse|augmentation|progression|bond|baisse|recul|diminution|chute)\b"
    r"[^.%0-9]{0,40}?\bde\s+" + APPROX + r"?$",
    re.IGNORECASE,
)
_SIGN_BEFORE: Final = re.compile(r"(?P<sign>[+\-\u2212])\s*$")
_FALLING: Final = frozenset({"baisse", "recul", "diminution", "chute"})


def _percent_role(before: str, after: str, about_stations: bool) -> str:
    """``counted_pct``, ``stations_pct``, ``change_pct``, ``rate`` or ``share``.

    ``about_stations``: the sentence speaks of polling stations, so "sur 63%" is a share of them.
    """
    if _COUNTED_AFTER.match(after) or _COUNTED_BEFORE.search(before):
        return "counted_pct"
    if _STATIONS_PCT_AFTER.match(after) or (_STATIONS_PCT_BEFORE.search(before) and about_stations):
        return "stations_pct"
    if _CHANGE_BEFORE.search(before) or _SIGN_BEFORE.search(before):
        return "change_pct"
    rate = rate_field(before, after)
    return rate if rate is not None else "share"


def _change_value(before: str, value: int | float) -> int | float:
    match = _CHANGE_BEFORE.search(before)
    falling = (
        match["direction"].casefold() in _FALLING
        if match is not None
        else (sign := _SIGN_BEFORE.search(before)) is not None and sign["sign"] != "+"
    )
    return -value if falling else value


def percent_items(
    document: Document, paragraph: Span, sentence: Span, numbers: list[NumberMatch]
) -> list[FigureItem]:
    """Shares, counted share, station shares and changes stated by a sentence's percentages."""
    text, base = document.text, sentence.start
    sentence_text = text[sentence.start : sentence.end]
    estimated = bool(ESTIMATE_CUE.search(sentence_text))
    contre = CONTRE.search(sentence_text)
    about_stations = bool(_MENTIONS_STATIONS.search(sentence_text))
    items: list[FigureItem] = []
    shares: list[NumberMatch] = []
    rate_seen: str | None = None
    for number in numbers:
        if not number.percent or not 0 <= number.value <= 100:
            continue
        before, after = text_before(text, sentence, number), text_after(text, sentence, number)
        start, end, approx = base + number.start, base + number.end, is_approx(before)
        role = _percent_role(before, after, about_stations)
        comparing = role == "share" or role in RATE_FIELDS
        if comparing and rate_seen is not None and CONTRE_BEFORE.search(before):
            # "69,42 % à 17 heures, contre 70,59 % en 2012": the rate compared with.
            if rate_seen == "rate_pct":
                items += _previous_rate_items(number.value, after, start, end, approx)
            continue
        if role in RATE_FIELDS:
            # "La participation de Benoît Hamon atteint 45 %": a rate is nobody's.
            if not document.mentions_in(max(base, start - 60), start):
                items.append(FigureItem(role, number.value, start, end, approx))
                rate_seen = role
        elif role == "share":
            shares.append(number)
        elif role == "stations_pct":
            # "Sur 75% des bureaux ... contre 1 million ... sur 70% des bureaux": after "contre",
            # the comparison point.
            after_contre = contre is not None and contre.start() < number.start
            name = "previous.stations_pct" if after_contre else "stations_pct"
            items.append(FigureItem(name, number.value, start, end, approx))
        elif role == "change_pct" and document.speaks_of_turnout(paragraph):
            value = _change_value(before, number.value)
            items.append(FigureItem("change_pct", value, start, end, approx))
        elif role == "counted_pct":
            items.append(FigureItem("counted_pct", number.value, start, end, approx))
    for position, name in pair_shares(document, paragraph, sentence, shares).items():
        share = shares[position]
        approx = is_approx(text_before(text, sentence, share))
        items.append(
            FigureItem(
                "share",
                share.value,
                base + share.start,
                base + share.end,
                approx,
                candidate=name,
                estimated=estimated,
            )
        )
    return items


def _previous_rate_items(
    value: int | float, after: str, start: int, end: int, approx: bool
) -> list[FigureItem]:
    """The comparison rate, with the year and round the text gives it."""
    items = [FigureItem("previous.rate_pct", value, start, end, approx)]
    stated = comparison(after)
    if stated.year is not None:
        items.append(FigureItem("previous.year", stated.year, start, end))
    if stated.round is not None:
        items.append(FigureItem("previous.round", stated.round, start, end))
    return items
