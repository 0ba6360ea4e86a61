"""The figures a French election text states: vote shares, counted share, turnout, per scope. Pure.

Each sentence of a :class:`~ingest.extraction.document.Document` gives items
(:class:`~ingest.extraction.figure_items.FigureItem`: a share of a candidate, voters, a share of
polling stations, a change, ``as_of``...); each item goes to a scope (national or a département)
whose :class:`Accumulator` merges them, an exact value replacing an approximate one;
:func:`figures_of` turns an accumulator into :class:`~ingest.model.update.Figures`.

Rules (:func:`extract_figures`): text is cut into paragraphs (lines) and sentences. In each
sentence, the percentages state shares, counted share, station shares, changes and rates
(:mod:`ingest.extraction.percent_figures`; which candidate a share belongs to:
:mod:`ingest.extraction.share_owners`), the whole numbers voters and stations
(:mod:`ingest.extraction.count_figures`), and votes, seats and totals
(:mod:`ingest.extraction.results`). In a sentence that states turnout, ``à 17h`` / ``à midi`` is
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
from dataclasses import dataclass, field
from typing import Final, TypeVar

from ingest.extraction.count_figures import count_items
from ingest.extraction.document import NATIONAL, Document, Span, read_document, split_sentences
from ingest.extraction.figure_items import CONTRE, FigureItem
from ingest.extraction.french_numbers import find_numbers
from ingest.extraction.percent_figures import percent_items
from ingest.extraction.results import result_items
from ingest.extraction.rounds import figures_round, stated_round
from ingest.extraction.scopes import is_history, is_local, opening_scope, scope_of
from ingest.model.night import Night
from ingest.model.update import Figures, Previous

__all__ = [
    "Accumulator",
    "ScopedFigures",
    "accumulate",
    "extract_figures",
    "extract_scoped_figures",
    "figures_of",
    "other_scopes",
    "primary_scope",
]

_AS_OF: Final = re.compile(
    r"\bà\s+(?:(?P<hour>[0-9]{1,2})\s*h\s*(?P<minute>[0-5][0-9])?(?![0-9])|(?P<word>midi|minuit))",
    re.IGNORECASE,
)
_V = TypeVar("_V")
_TURNOUT_FIELDS: Final = frozenset(
    {"voters", "voters_low", "voters_high", "stations_pct", "change_pct", "previous.voters"}
    | {"rate_pct", "abstention_pct"}
)


@dataclass(frozen=True, slots=True)
class ScopedFigures:
    """One scope's figures and the round they belong to (None when unknown)."""

    figures: Figures
    round: int | None


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

    def offer(self, item: FigureItem) -> None:
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


def _as_of_item(document: Document, sentence: Span, items: list[FigureItem]) -> FigureItem | None:
    """``à 17h`` / ``à midi`` in a sentence that states turnout: the time the figures are for."""
    turnout = [item for item in items if item.field in _TURNOUT_FIELDS]
    if not turnout:
        return None
    text = document.text[sentence.start : sentence.end]
    contre = CONTRE.search(text)
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
    return FigureItem("as_of", clock, first.start, first.end)


def _sentence_items(document: Document, paragraph: Span, sentence: Span) -> list[FigureItem]:
    """Every figure one sentence states, in text order (none for a commune or some bureaux, none
    in a sentence about another year's election)."""
    if is_local(document, sentence) or is_history(document, sentence):
        return []
    numbers = find_numbers(document.text[sentence.start : sentence.end])
    if not numbers:
        return []
    items = percent_items(document, paragraph, sentence, numbers)
    results = result_items(document, sentence, numbers)
    claimed = {item.start for item in results}
    items += [
        FigureItem(item.field, item.value, item.start, item.end, candidate=item.candidate)
        for item in results
    ]
    counted = [number for number in numbers if sentence.start + number.start not in claimed]
    items += count_items(document, paragraph, sentence, counted)
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
