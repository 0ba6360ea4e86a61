"""The figures a French election text states: vote shares, counted share, turnout, per scope. Pure.

Each sentence of a :class:`~ingest.extraction.document.Document` gives items (a share of a
candidate, voters, a share of polling stations, a change, ``as_of``...; rules below); each item goes
to a scope (national or a département) whose :class:`Accumulator` merges them, an exact value
replacing an approximate one; :func:`figures_of` turns an accumulator into
:class:`~ingest.model.update.Figures`.

Rules (:func:`extract_figures`): text is cut into paragraphs (lines) and sentences. In each
sentence, percentages are classified as counted share (``à 60% du dépouillement``, ``résultats
partiels portant sur 60 % des bureaux``), share of polling stations (``Sur 75% des bureaux``, ``sur
63%`` in a sentence about bureaux), change (``hausse de 25,9 %``; kept for turnout only), a rate of
turnout, abstention, blank or null votes (:mod:`ingest.extraction.rates`; a rate after ``contre`` is
the comparison's, ``previous.rate_pct`` with its year and round; nobody's: a rate right after a
candidate's name is dropped) or vote share; percentages above 100 are ignored. A share goes to the
candidate written next to it (``Valls 41.35%``, ``Manuel Valls (31,48%)``), then to the one it is
given for (``41,28% pour Manuel Valls``, ``32,3 % à Manuel Valls``), then to the nearest name before
it since the previous share (``Benoît Hamon est arrivé en tête avec 38,18 %``, ``est crédité de 58
%``, ``réalise un score de 58 %``); the first share of a sentence that names nobody before it goes
to the candidate last named in the paragraph (``Le député des Yvelines remporte le deuxième tour
avec 58,72%`` after a sentence about Benoit Hamon). Voters are numbers followed by ``votants`` /
``électeurs`` (or ``personnes`` / ``Français`` who voted or turned out), unless they are registered,
called to vote or expected (``inscrits``, ``appelés``, ``attendus``, ``convoqués``); a number of
stations is followed by ``bureaux``; in a paragraph about participation, a bare count followed by a
département ("un peu plus de 10.000 en Aveyron") is that département's voters. After ``contre``,
voters and station shares are the comparison point (``previous``). ``à 17h`` / ``à midi`` is
``as_of``.

Scope: a number followed at once by a place ("8.000 dans le Lot", "12.000 votants à l'étranger",
"1,2 million de votants en France entière") belongs there; otherwise it belongs to the last place
the paragraph named before it ("dans la Loire", "En Aveyron", "Dans le Var"), else to the place a
heading just above set ("Vienne : ..."), else national. Only locative mentions set a place ("le
député des Yvelines" does not); "au niveau national" sets it back. Places are départements ("à
Paris" is département 75), régions, overseas collectivités, Lyon and Marseille
(:mod:`ingest.extraction.territories`), and the French abroad (scope ``Français de l'étranger``). A
heading sets the place of the paragraph below when it names a département, or opens with another
territory ("Occitanie : ..."; "Hamon victorieux en Occitanie" heads national figures). Sentences
about a place below the département (``A la Roque d'Antéron``, ``à Poitiers``, ``sur St Etienne``,
``Dans plusieurs bureaux``) give no figures: a commune's 55% is not its département's; nor does a
sentence that opens on another year than the night's (``En 2002, ... avait obtenu 17,79 %``). One
:class:`Figures` per scope, in order of first appearance; within a scope an exact value replaces an
approximate one ("plus de 38%" then "38,18 %"), otherwise the first value stated stands. Approximate
values ("près de", "un peu plus de", "proche de") are kept as stated when nothing exact is given.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Final, TypeVar

from ingest.extraction.document import (
    NATIONAL,
    Document,
    Mention,
    Span,
    read_document,
    split_sentences,
)
from ingest.extraction.french_numbers import NumberMatch, RangeMatch, find_numbers, find_ranges
from ingest.extraction.rates import RATE_FIELDS, comparison, rate_field
from ingest.extraction.results import NAME_GAP, result_items
from ingest.extraction.rounds import figures_round, stated_round
from ingest.extraction.scopes import PLACE_GAP, is_history, is_local, opening_scope, scope_of
from ingest.model.night import Night
from ingest.model.update import Figures, Previous

__all__ = [
    "ESTIMATE_CUE",
    "MAX_VOTERS",
    "Accumulator",
    "ScopedFigures",
    "accumulate",
    "extract_figures",
    "extract_scoped_figures",
    "figures_of",
    "other_scopes",
    "primary_scope",
]

#: A poll, an institute, an exit poll, estimates or party sources: what makes a figure an estimate.
ESTIMATE_CUE: Final = re.compile(
    r"\bestimations?\b|\bsondages?\b|\bsortie\s+des\s+urnes\b|\binstituts?\b|\bprojections?\b"
    r"|\bsources?\s+(?:PS|du\s+PS|socialistes?|proches?|internes?|concordantes?)\b"
    r"|\bpremi[èe]res\s+tendances\b"
    r"|\b(?:Ifop|Ipsos|Elabe|OpinionWay|Odoxa|BVA|Harris\s+Interactive|Kantar|Sofres|Viavoice)\b",
    re.IGNORECASE,
)
MAX_VOTERS: Final = 100_000_000  # more than every registered voter in France: not a count
_APPROX: Final = (
    r"(?:un\s+peu\s+(?:plus|moins)\s+d(?:e\s+|['\u2019])"
    r"|(?:plus|moins|pr[eéè]s|proche|autour|au-delà)\s+d(?:e\s+|['\u2019])"
    r"|presque\s+|environ\s+|quelque\s+|quasiment\s+|au\s+moins\s+"
    r"|pas\s+loin\s+d(?:e\s+|['\u2019])|de\s+l['\u2019]ordre\s+d(?:e\s+|['\u2019])"
    r"|(?:dépasse|frôle)\s+(?:même\s+)?)"
)
_APPROX_BEFORE: Final = re.compile(_APPROX + r"(?:les\s+)?$", re.IGNORECASE)
# "plus de deux millions", "un peu plus de 10.000", "au moins": a lower bound, not a count.
_AT_LEAST_BEFORE: Final = re.compile(
    r"(?:(?:un\s+peu\s+)?plus|au-delà)\s+d(?:e\s+|['\u2019])(?:les\s+)?$"
    r"|au\s+moins\s+(?:les\s+)?$",
    re.IGNORECASE,
)
_COUNTED_AFTER: Final = re.compile(
    r"\s*(?:du\s+d[ée]pouillement|des\s+(?:bulletins|voix|votes|bureaux)(?:\s+de\s+vote)?\s+"
    r"(?:ont\s+été\s+|sont\s+)?d[ée]pouill)",
    re.IGNORECASE,
)
_COUNTED_BEFORE: Final = re.compile(
    r"(?:d[ée]pouill\w*\s+(?:de\s+|à\s+|sur\s+)?|résultats\s+(?:partiels\s+)?sur\s+"
    r"|\bportant\s+sur\s+)" + _APPROX + r"?$",
    re.IGNORECASE,
)
_STATIONS_PCT_AFTER: Final = re.compile(r"\s*des\s+bureaux\b", re.IGNORECASE)
_STATIONS_PCT_BEFORE: Final = re.compile(r"\bsur\s+" + _APPROX + r"?$", re.IGNORECASE)
_MENTIONS_STATIONS: Final = re.compile(r"\bbureaux\b", re.IGNORECASE)
_CHANGE_BEFORE: Final = re.compile(
    r"\b(?P<direction>hausse|augmentation|progression|bond|baisse|recul|diminution|chute)\b"
    r"[^.%0-9]{0,40}?\bde\s+" + _APPROX + r"?$",
    re.IGNORECASE,
)
_SIGN_BEFORE: Final = re.compile(r"(?P<sign>[+\-\u2212])\s*$")
_FALLING: Final = frozenset({"baisse", "recul", "diminution", "chute"})
_SHARE_CUE_BEFORE: Final = re.compile(
    r"\b(?:avec|obtient|obtenu|obtiendrait|recueill\w*|réuni\w*|rallie|remporte|emporte"
    r"|score(?:\s+de)?|contre|à|soit|crédité\w*(?:\s+de)?|obtiennent|fai[ts])\s+"
    + _APPROX
    + r"?(?:les\s+)?$"
    r"|\b(?:voix|suffrages)\s*\(\s*$",
    re.IGNORECASE,
)
_SHARE_CUE_AFTER: Final = re.compile(
    r"\s*(?:des\s+(?:voix|suffrages|votes|exprimés)|d['\u2019]intentions?)", re.IGNORECASE
)
_NAME_BEFORE_SHARE: Final = NAME_GAP
_NAME_AFTER_SHARE: Final = re.compile(
    r"\s*(?:des\s+(?:voix|suffrages|votes)(?:\s+exprim\w+)?\s*)?,?\s*"
    r"(?:pour|à|au\s+profit\s+d(?:e\s+|['\u2019])|en\s+faveur\s+d(?:e\s+|['\u2019]))\s*"
    r"(?:[^\s,.;:()%0-9]+\s+){0,3}",
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
_CONTRE: Final = re.compile(r"\bcontre\b", re.IGNORECASE)
_CONTRE_BEFORE: Final = re.compile(r"\bcontre\s+" + _APPROX + r"?$", re.IGNORECASE)
_EARLIER_ROUND_AFTER: Final = re.compile(
    r"(?:(?!contre\b)[^,.;:]){0,60}?\b(?:(?P<first>premier\s+tour)|semaine\s+dernière"
    r"|en\s+(?:19|20)[0-9]{2})",
    re.IGNORECASE,
)
_AS_OF: Final = re.compile(
    r"\bà\s+(?:(?P<hour>[0-9]{1,2})\s*h\s*(?P<minute>[0-5][0-9])?(?![0-9])|(?P<word>midi|minuit))",
    re.IGNORECASE,
)
# A sentence whose subject is a pronoun: "il obtient", "elle recueille", "il l'emporte".
_PRONOUN_SUBJECT: Final = re.compile(r"(?:^|,\s*)(?:il|elle)\s+(?!y\b)", re.IGNORECASE)
_V = TypeVar("_V")
# How far back in a paragraph the subject of a sentence is looked for, in mentions.
MAX_SUBJECT_LOOKBACK: Final = 50
_TURNOUT_FIELDS: Final = frozenset(
    {"voters", "voters_low", "voters_high", "stations_pct", "change_pct", "previous.voters"}
    | {"rate_pct", "abstention_pct"}
)


@dataclass(frozen=True, slots=True)
class ScopedFigures:
    """One scope's figures and the round they belong to (None when unknown)."""

    figures: Figures
    round: int | None


@dataclass(frozen=True, slots=True)
class _Item:
    """One figure found in a sentence, before it is given a scope."""

    field: str
    value: int | float | str
    start: int
    end: int
    approx: bool = False
    candidate: str | None = None
    estimated: bool = False


@dataclass(slots=True)
class Accumulator:
    """The figures of one scope, merged as items arrive."""

    scope: str
    values: dict[str, tuple[int | float | str, bool]] = field(default_factory=dict)
    shares: dict[str, tuple[float, bool]] = field(default_factory=dict)
    estimated: bool = False
    votes: dict[str, tuple[int, bool]] = field(default_factory=dict)
    seats: dict[str, tuple[int, bool]] = field(default_factory=dict)
    #: For a commune, canton or constituency of the night file: its kind and official code.
    kind: str | None = None
    code: str | None = None

    def offer(self, item: _Item) -> None:
        """Keep the item unless an exact value is already there (or it is approximate too)."""
        if item.field in ("votes", "seats"):
            if item.candidate is not None and isinstance(item.value, int):
                store = self.votes if item.field == "votes" else self.seats
                _keep(store, item.candidate, (item.value, item.approx))
            return
        if item.field == "share":
            if item.candidate is None or not isinstance(item.value, int | float):
                return  # a share always names its candidate and a number; nothing to keep
            _keep(self.shares, item.candidate, (item.value, item.approx))
            self.estimated = self.estimated or item.estimated
            return
        _keep(self.values, item.field, (item.value, item.approx))


def _keep(store: dict[str, tuple[_V, bool]], key: str, offered: tuple[_V, bool]) -> None:
    current = store.get(key)
    if current is None or (current[1] and not offered[1]):
        store[key] = offered


def _before(text: str, sentence: Span, number: NumberMatch | RangeMatch) -> str:
    return text[
        max(sentence.start, sentence.start + number.start - 80) : sentence.start + number.start
    ]


def _after(text: str, sentence: Span, number: NumberMatch | RangeMatch) -> str:
    return text[sentence.start + number.end : min(sentence.end, sentence.start + number.end + 80)]


def _is_approx(before: str) -> bool:
    return bool(_APPROX_BEFORE.search(before))


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


def _has_share_cue(before: str, after: str) -> bool:
    return bool(_SHARE_CUE_BEFORE.search(before) or _SHARE_CUE_AFTER.match(after))


@dataclass(frozen=True, slots=True)
class _Names:
    """The candidate mentions of one sentence, with their starts and ends for bisection."""

    mentions: list[Mention]
    starts: list[int]
    ends: list[int]

    @classmethod
    def of(cls, mentions: list[Mention]) -> _Names:
        """Index a sentence's mentions (sorted, never overlapping)."""
        return cls(mentions, [m.start for m in mentions], [m.end for m in mentions])

    def next_to(self, text: str, start: int) -> int | None:
        """Index of the name written just before ``start``: ``Valls 41.35%``, ``Valls (31%)``."""
        index = bisect_right(self.ends, start) - 1
        if index >= 0 and _NAME_BEFORE_SHARE.fullmatch(text, self.ends[index], start):
            return index
        return None

    def given(self, text: str, end: int) -> int | None:
        """Index of the name a share ending at ``end`` is given for: ``41% pour Manuel Valls``."""
        index = bisect_left(self.starts, end)
        if index < len(self.starts) and _NAME_AFTER_SHARE.fullmatch(text, end, self.starts[index]):
            return index
        return None

    def before(self, floor: int, start: int, used: set[int]) -> int | None:
        """Index of the nearest unused name in ``[floor, start)``."""
        index = bisect_right(self.ends, start) - 1
        while index >= 0 and self.starts[index] >= floor:
            if index not in used:
                return index
            index -= 1
        return None


def _recent_name(
    document: Document, paragraph: Span, sentence: Span, taken: set[str]
) -> str | None:
    """The candidate last named in the paragraph before this sentence, not yet given a share."""
    index = bisect_left(document.mention_starts, sentence.start) - 1
    lowest = max(-1, index - MAX_SUBJECT_LOOKBACK)
    if sentence.start == paragraph.start and _PRONOUN_SUBJECT.search(
        document.text, sentence.start, sentence.end
    ):
        return _subject_before(document, paragraph, taken)
    while index > lowest and document.mentions[index].start >= paragraph.start:
        if document.mentions[index].name not in taken:
            return document.mentions[index].name
        index -= 1
    return None


def _subject_before(document: Document, paragraph: Span, taken: set[str]) -> str | None:
    """A pronoun opening a paragraph ("Dans le Morbihan, il recueille 71,2 %") stands for the
    subject of the paragraph before, the first candidate it names (not "Marine Le Pen" of "...
    contre 24,6 % pour Marine Le Pen")."""
    position = bisect_left([p.start for p in document.paragraphs], paragraph.start)
    if position == 0:
        return None
    before = document.paragraphs[position - 1]
    named = document.mentions_in(before.start, before.end)
    return next((mention.name for mention in named if mention.name not in taken), None)


def _pair_shares(
    document: Document, paragraph: Span, sentence: Span, shares: list[NumberMatch]
) -> dict[int, str]:
    """Which candidate each share (by index) belongs to; unattributed shares are left out."""
    text, base = document.text, sentence.start
    names = _Names.of(document.mentions_in(sentence.start, sentence.end))
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for position, share in enumerate(shares):
        index = names.next_to(text, base + share.start)
        if index is None:
            index = names.given(text, base + share.end)
        if index is not None and index not in used:
            pairs[position] = index
            used.add(index)
    for position, share in enumerate(shares):
        if position in pairs:
            continue
        floor = base + shares[position - 1].end if position else base
        before, after = _before(text, sentence, share), _after(text, sentence, share)
        index = names.before(floor, base + share.start, used)
        if index is not None and _has_share_cue(before, after):
            pairs[position] = index
            used.add(index)
    attributed = {position: names.mentions[index].name for position, index in pairs.items()}
    if shares and 0 not in attributed:
        share = shares[0]
        cued = _has_share_cue(_before(text, sentence, share), _after(text, sentence, share))
        subject = _recent_name(document, paragraph, sentence, set(attributed.values()))
        unnamed = not names.starts or names.starts[0] >= base + share.start
        if cued and unnamed and subject is not None:
            attributed[0] = subject
    return _first_share_per_candidate(attributed)


def _first_share_per_candidate(attributed: dict[int, str]) -> dict[int, str]:
    seen: set[str] = set()
    kept: dict[int, str] = {}
    for position in sorted(attributed):
        name = attributed[position]
        if name not in seen:
            seen.add(name)
            kept[position] = name
    return kept


def _percent_items(
    document: Document, paragraph: Span, sentence: Span, numbers: list[NumberMatch]
) -> list[_Item]:
    """Shares, counted share, station shares and changes stated by a sentence's percentages."""
    text, base = document.text, sentence.start
    sentence_text = text[sentence.start : sentence.end]
    estimated = bool(ESTIMATE_CUE.search(sentence_text))
    contre = _CONTRE.search(sentence_text)
    about_stations = bool(_MENTIONS_STATIONS.search(sentence_text))
    items: list[_Item] = []
    shares: list[NumberMatch] = []
    rate_seen: str | None = None
    for number in numbers:
        if not number.percent or not 0 <= number.value <= 100:
            continue
        before, after = _before(text, sentence, number), _after(text, sentence, number)
        start, end, approx = base + number.start, base + number.end, _is_approx(before)
        role = _percent_role(before, after, about_stations)
        comparing = role == "share" or role in RATE_FIELDS
        if comparing and rate_seen is not None and _CONTRE_BEFORE.search(before):
            # "69,42 % à 17 heures, contre 70,59 % en 2012": the rate compared with.
            if rate_seen == "rate_pct":
                items += _previous_rate_items(number.value, after, start, end, approx)
            continue
        if role in RATE_FIELDS:
            # "La participation de Benoît Hamon atteint 45 %": a rate is nobody's.
            if not document.mentions_in(max(base, start - 60), start):
                items.append(_Item(role, number.value, start, end, approx))
                rate_seen = role
        elif role == "share":
            shares.append(number)
        elif role == "stations_pct":
            # "Sur 75% des bureaux ... contre 1 million ... sur 70% des bureaux": after "contre",
            # the comparison point.
            after_contre = contre is not None and contre.start() < number.start
            name = "previous.stations_pct" if after_contre else "stations_pct"
            items.append(_Item(name, number.value, start, end, approx))
        elif role == "change_pct" and document.speaks_of_turnout(paragraph):
            value = _change_value(before, number.value)
            items.append(_Item("change_pct", value, start, end, approx))
        elif role == "counted_pct":
            items.append(_Item("counted_pct", number.value, start, end, approx))
    for position, name in _pair_shares(document, paragraph, sentence, shares).items():
        share = shares[position]
        approx = _is_approx(_before(text, sentence, share))
        items.append(
            _Item(
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
) -> list[_Item]:
    """The comparison rate, with the year and round the text gives it."""
    items = [_Item("previous.rate_pct", value, start, end, approx)]
    stated = comparison(after)
    if stated.year is not None:
        items.append(_Item("previous.year", stated.year, start, end))
    if stated.round is not None:
        items.append(_Item("previous.round", stated.round, start, end))
    return items


def _in_range(number: NumberMatch, ranges: list[RangeMatch]) -> bool:
    return any(found.start <= number.start and number.end <= found.end for found in ranges)


def _range_items(document: Document, sentence: Span, ranges: list[RangeMatch]) -> list[_Item]:
    """``Entre 1,7 et 2 millions de votants``: voters_low and voters_high."""
    items: list[_Item] = []
    for found in ranges:
        if found.percent or not _VOTERS_AFTER.match(_after(document.text, sentence, found)):
            continue
        if not isinstance(found.low, int) or not isinstance(found.high, int):
            continue
        if found.high > MAX_VOTERS:
            continue
        start, end = sentence.start + found.start, sentence.start + found.end
        items.append(_Item("voters_low", found.low, start, end))
        items.append(_Item("voters_high", found.high, start, end))
    return items


def _is_year(number: NumberMatch) -> bool:
    return not number.grouped and not number.multiplied and 1900 <= number.value <= 2100


def _count_field(
    document: Document, paragraph: Span, sentence: Span, number: NumberMatch, has_voters: bool
) -> str | None:
    """What a whole number counts: voters (now or before), stations, or nothing we know."""
    text = document.text
    before, after = _before(text, sentence, number), _after(text, sentence, number)
    if _NOT_VOTED_AFTER.match(after):
        return None  # registered, called to vote, expected: no one has voted yet
    if has_voters and _CONTRE_BEFORE.search(before):
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
    match = _EARLIER_ROUND_AFTER.match(_after(document.text, sentence, number))
    return match is not None and match["first"] is not None


def _count_items(
    document: Document, paragraph: Span, sentence: Span, numbers: list[NumberMatch]
) -> list[_Item]:
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
        before = _before(document.text, sentence, number)
        if name == "voters" and _AT_LEAST_BEFORE.search(before):
            name = "voters_low"
        start, end = sentence.start + number.start, sentence.start + number.end
        items.append(_Item(name, number.value, start, end, _is_approx(before)))
        if name == "previous.voters" and _follows_first_round(document, sentence, number):
            items.append(_Item("previous.round", 1, start, end))
        has_voters = has_voters or name == "voters"
    return items


def _as_of_item(document: Document, sentence: Span, items: list[_Item]) -> _Item | None:
    """``à 17h`` / ``à midi`` in a sentence that states turnout: the time the figures are for."""
    turnout = [item for item in items if item.field in _TURNOUT_FIELDS]
    if not turnout:
        return None
    text = document.text[sentence.start : sentence.end]
    contre = _CONTRE.search(text)
    match = _AS_OF.search(text, 0, len(text) if contre is None else contre.start())
    if match is None:
        return None
    if match["word"] is not None:
        clock = "12:00" if match["word"].casefold() == "midi" else "00:00"
    else:
        hour, minute = int(match["hour"]), int(match["minute"] or 0)
        if hour > 23:
            return None
        clock = f"{hour:02d}:{minute:02d}"
    first = turnout[0]
    return _Item("as_of", clock, first.start, first.end)


def _sentence_items(document: Document, paragraph: Span, sentence: Span) -> list[_Item]:
    """Every figure one sentence states, in text order (none for a commune or some bureaux, none
    in a sentence about another year's election)."""
    if is_local(document, sentence) or is_history(document, sentence):
        return []
    numbers = find_numbers(document.text[sentence.start : sentence.end])
    if not numbers:
        return []
    items = _percent_items(document, paragraph, sentence, numbers)
    results = result_items(document, sentence, numbers)
    claimed = {item.start for item in results}
    items += [
        _Item(item.field, item.value, item.start, item.end, candidate=item.candidate)
        for item in results
    ]
    counted = [number for number in numbers if sentence.start + number.start not in claimed]
    items += _count_items(document, paragraph, sentence, counted)
    as_of = _as_of_item(document, sentence, items)
    if as_of is not None:
        items.append(as_of)
    return sorted(items, key=lambda item: item.start)


def accumulate(document: Document) -> list[Accumulator]:
    """Every scope's merged figures, in order of first appearance."""
    scopes: dict[str, Accumulator] = {}
    for index, paragraph in enumerate(document.paragraphs):
        opening = opening_scope(document, index)
        for sentence in split_sentences(document.text, paragraph):
            for item in _sentence_items(document, paragraph, sentence):
                scope = scope_of(document, paragraph, opening, item.start, item.end)
                if scope is None:
                    continue
                if scope not in scopes:
                    local = document.subdivision(scope)
                    scopes[scope] = Accumulator(
                        scope,
                        kind=None if local is None else local.kind,
                        code=None if local is None else local.code,
                    )
                scopes[scope].offer(item)
    return list(scopes.values())


def _number(store: dict[str, tuple[int | float | str, bool]], name: str) -> float | None:
    value = store.get(name, (None, False))[0]
    return value if isinstance(value, int | float) else None


def _whole(store: dict[str, tuple[int | float | str, bool]], name: str) -> int | None:
    value = store.get(name, (None, False))[0]
    return value if isinstance(value, int) and value >= 0 else None


def _previous(store: dict[str, tuple[int | float | str, bool]]) -> Previous | None:
    voters = _whole(store, "previous.voters")
    stations = _number(store, "previous.stations_pct")
    rate = _number(store, "previous.rate_pct")
    if voters is None and stations is None and rate is None:
        return None
    return Previous(
        voters=voters,
        stations_pct=stations,
        round=_whole(store, "previous.round"),
        rate_pct=rate,
        year=_whole(store, "previous.year"),
    )


def figures_of(accumulator: Accumulator) -> Figures:
    values = accumulator.values
    low, high = _whole(values, "voters_low"), _whole(values, "voters_high")
    if low is not None and high is not None and low > high:
        low = high = None
    as_of = values.get("as_of", (None, False))[0]
    return Figures(
        scope=accumulator.scope,
        shares={name: value for name, (value, _) in accumulator.shares.items()},
        counted_pct=_number(values, "counted_pct"),
        voters=_whole(values, "voters"),
        voters_low=low,
        voters_high=high,
        stations=_whole(values, "stations"),
        stations_pct=_number(values, "stations_pct"),
        as_of=as_of if isinstance(as_of, str) else None,
        change_pct=_number(values, "change_pct"),
        previous=_previous(values),
        rate_pct=_number(values, "rate_pct"),
        abstention_pct=_number(values, "abstention_pct"),
        blank_pct=_number(values, "blank_pct"),
        null_pct=_number(values, "null_pct"),
        scope_kind=accumulator.kind,
        scope_code=accumulator.code,
        votes={name: value for name, (value, _) in accumulator.votes.items()},
        seats={name: value for name, (value, _) in accumulator.seats.items()},
        seats_total=_whole(values, "seats_total"),
        registered=_whole(values, "registered"),
        cast=_whole(values, "cast"),
        blank=_whole(values, "blank"),
        null=_whole(values, "null"),
    )


def extract_scoped_figures(text: str, night: Night) -> list[ScopedFigures]:
    """Every scope's figures with the round they belong to, in text order."""
    document = read_document(text, night)
    stated = stated_round(document.text)
    scoped: list[ScopedFigures] = []
    for accumulator in accumulate(document):
        figures = figures_of(accumulator)
        scoped.append(ScopedFigures(figures, figures_round(figures, stated, night)))
    return scoped


def extract_figures(text: str, night: Night) -> list[Figures]:
    """Every set of figures the text states, one per scope (national, each département).

    In text order (of each scope's first figure).
    """
    return [scoped.figures for scoped in extract_scoped_figures(text, night)]


def other_scopes(
    accumulators: list[Accumulator], primary: Accumulator | None
) -> tuple[Figures, ...]:
    """The figures of every scope but the primary one, in text order; scopes with none left out."""
    others = (figures_of(item) for item in accumulators if item is not primary)
    return tuple(figures for figures in others if len(figures.to_json()) > 1)


def primary_scope(accumulators: list[Accumulator]) -> Accumulator | None:
    national = [item for item in accumulators if item.scope == NATIONAL]
    if national:
        return national[0]
    return accumulators[0] if accumulators else None
