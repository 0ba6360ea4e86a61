"""A text as extraction reads it: paragraphs, sentences, and the candidates and places it names.

Pure. :func:`read_document` cuts a text (at most :data:`MAX_INPUT_LENGTH` characters) into
paragraphs (non-blank lines) and notes every candidate mention (any spelling of a candidate of the
night, accents and case folded) and every place: locative département mentions ("dans le Lot"),
national markers ("au niveau national") and mentions of the French abroad. The rules of
:mod:`ingest.extraction.extract` ask it for the mentions and places within a sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import Final

from ingest.extraction.departements import find_departements, fold_text
from ingest.extraction.local_places import find_local_places
from ingest.extraction.territories import ABROAD, find_territories
from ingest.model.night import Candidate, Night, Subdivision

__all__ = [
    "MAX_HEADING_LENGTH",
    "MAX_INPUT_LENGTH",
    "NATIONAL",
    "Document",
    "Mention",
    "Place",
    "Span",
    "candidate_mentions",
    "first_sentence",
    "is_heading",
    "name_key",
    "place_mentions",
    "read_document",
    "split_paragraphs",
    "split_sentences",
    "split_time_prefix",
]

# Longest text looked at: twice the longest update text (update.MAX_TEXT_LENGTH); the rest of a
# longer (broken or hostile) text is ignored, which keeps extraction linear and fast.
MAX_INPUT_LENGTH: Final = 40_000
NATIONAL: Final = "national"
_TIME_PREFIX: Final = re.compile(
    r"^\s*(?P<hour>[0-9]{1,2})[^\S\n]*[hH][^\S\n]*(?P<minute>[0-5][0-9])(?![0-9])"
    r"(?:[^\S\n]*[:\-\u2013\u2014][^\S\n]*|(?=\s)|$)"
)
_SENTENCE_BREAK: Final = re.compile(r"(?:\.{2,}|…)\s*|[.!?]+[\"»”)]*(?:\s+|(?=[A-ZÀ-ÖØ-Þ«\"“]))")
_ABBREVIATION: Final = re.compile(r"(?:^|[\s(])(?:[A-Z]|Mme|Mlle|MM|Dr|St|Ste|Me)$")
_HEADING_END: Final = tuple('.!?…:;,»"”')
MAX_HEADING_LENGTH: Final = 120
_PARTICIPATION_CONTEXT: Final = re.compile(
    r"\b(?:participation|votants|électeurs|électrices|se\s+sont\s+déplacé|affluence)", re.I
)
_NATIONAL_MARKER: Final = re.compile(
    r"\b(?:au\s+niveau\s+national|sur\s+le\s+plan\s+national|à\s+l['\u2019]échelle\s+nationale"
    r"|dans\s+toute\s+la\s+France|France\s+entière)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the text: ``text[start:end]``."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Mention:
    """A candidate named in the text, with the full name it designates."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Place:
    """Where a text places what follows: a département or another territory (``departement``
    true: a région, an overseas collectivité, Lyon, Marseille), or a marker (national, the
    French abroad) that carries its own preposition."""

    scope: str | None
    start: int
    end: int
    departement: bool
    #: A commune, canton or constituency of the night file (``local_places``).
    local: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    """A text cut into paragraphs, with the names and places it mentions (sorted by start).

    ``turnout_paragraphs`` holds the start of every paragraph that speaks of participation.
    """

    text: str
    paragraphs: tuple[Span, ...]
    mentions: tuple[Mention, ...]
    places: tuple[Place, ...]
    turnout_paragraphs: frozenset[int]
    mention_starts: tuple[int, ...] = ()
    place_starts: tuple[int, ...] = ()
    departements: tuple[Place, ...] = ()
    departement_starts: tuple[int, ...] = ()
    #: The year of the night the text is read for (a sentence about another year is history).
    year: int | None = None
    #: The night's communes, cantons and constituencies (``places`` of the night file).
    subdivisions: tuple[Subdivision, ...] = ()

    def subdivision(self, scope: str) -> Subdivision | None:
        """The night's commune, canton or constituency whose figures take ``scope``, or None."""
        return next((place for place in self.subdivisions if place.scope == scope), None)

    def names_local_place(self, start: int, end: int) -> bool:
        """Whether a commune, canton or constituency of the night is named in ``[start, end)``."""
        return any(place.local for place in self.places_in(start, end))

    def mentions_in(self, start: int, end: int) -> list[Mention]:
        """The candidate mentions lying within ``[start, end)``."""
        low = bisect_left(self.mention_starts, start)
        high = bisect_left(self.mention_starts, end)
        return [mention for mention in self.mentions[low:high] if mention.end <= end]

    def places_in(self, start: int, end: int) -> tuple[Place, ...]:
        """The places starting within ``[start, end)``."""
        low = bisect_left(self.place_starts, start)
        return self.places[low : bisect_left(self.place_starts, end)]

    def last_place_before(self, position: int) -> Place | None:
        """The last place that starts before ``position``."""
        index = bisect_left(self.place_starts, position) - 1
        return self.places[index] if index >= 0 else None

    def next_place(self, position: int) -> Place | None:
        """The first place that starts at or after ``position``."""
        index = bisect_left(self.place_starts, position)
        return self.places[index] if index < len(self.places) else None

    def next_departement(self, position: int) -> Place | None:
        """The first département mention that starts at or after ``position``."""
        index = bisect_left(self.departement_starts, position)
        return self.departements[index] if index < len(self.departements) else None

    def speaks_of_turnout(self, paragraph: Span) -> bool:
        """Whether the paragraph speaks of participation (voters, turnout)."""
        return paragraph.start in self.turnout_paragraphs


def split_time_prefix(line: str) -> tuple[time, str] | None:
    """Split a liveblog line such as ``21h15: ...`` into its clock time and its text.

    Accepts ``21h15:``, ``12H05:``, ``21h15 :``, ``9h05:``, ``21h15 -`` and ``19h00 Les ...``;
    returns None when the line does not start with a valid ``HHhMM``.
    """
    match = _TIME_PREFIX.match(line)
    if match is None:
        return None
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23:
        return None
    return time(hour, minute), line[match.end() :].strip()


def split_paragraphs(text: str) -> tuple[Span, ...]:
    """Every non-blank line, trimmed."""
    spans: list[Span] = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if not line.strip():
            continue
        start = match.start() + len(line) - len(line.lstrip())
        end = match.end() - (len(line) - len(line.rstrip()))
        spans.append(Span(start, end))
    return tuple(spans)


def is_heading(text: str, paragraph: Span) -> bool:
    """A short line without final punctuation ("Vienne : Benoit Hamon devance Manuel Valls")."""
    line = text[paragraph.start : paragraph.end]
    return len(line) <= MAX_HEADING_LENGTH and not line.endswith(_HEADING_END)


def split_sentences(text: str, paragraph: Span) -> list[Span]:
    """The sentences of a paragraph, including those glued without a space ("17,03%.Benoit")."""
    spans: list[Span] = []
    start = paragraph.start
    for match in _SENTENCE_BREAK.finditer(text, paragraph.start, paragraph.end):
        single_dot = match.group().startswith(".") and not match.group().startswith("..")
        window = max(paragraph.start, match.start() - 5)
        if single_dot and _ABBREVIATION.search(text, window, match.start()):
            continue
        end = match.start() + len(match.group().rstrip())
        if text[start:end].strip():
            spans.append(Span(start, end))
        start = match.end()
    if text[start : paragraph.end].strip():
        spans.append(Span(start, paragraph.end))
    return spans


def first_sentence(document: Document) -> str:
    """The headline: the text's first sentence (empty for an empty text)."""
    if not document.paragraphs:
        return ""
    sentences = split_sentences(document.text, document.paragraphs[0])
    first = sentences[0] if sentences else document.paragraphs[0]
    return document.text[first.start : first.end]


def name_key(name: str) -> str:
    return " ".join(re.split(r"[\s\-\u2010\u2011'\u2019]+", fold_text(name)[0].strip()))


@cache
def _candidate_pattern(candidates: tuple[Candidate, ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One alternation of every spelling of every candidate (folded, longest first)."""
    names: dict[str, str] = {}
    for candidate in candidates:
        for spelling in candidate.spellings:
            key = name_key(spelling)
            if key:
                names.setdefault(key, candidate.name)
    alternatives = [
        r"[\s\-\u2010\u2011'\u2019]+".join(re.escape(part) for part in key.split(" "))
        for key in sorted(names, key=len, reverse=True)
    ]
    if not alternatives:
        return re.compile(r"(?!x)x"), names
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"), names


def candidate_mentions(text: str, night: Night) -> tuple[Mention, ...]:
    pattern, names = _candidate_pattern(night.candidates)
    folded, offsets = fold_text(text)
    mentions: list[Mention] = []
    for match in pattern.finditer(folded):
        name = names.get(name_key(match.group()))
        if name is not None:
            start, end = offsets[match.start()], offsets[match.end() - 1] + 1
            mentions.append(Mention(name, start, end))
    return tuple(mentions)


def place_mentions(text: str, subdivisions: tuple[Subdivision, ...] = ()) -> tuple[Place, ...]:
    """Locative mentions of départements and other territories (:mod:`territories`), national
    markers, mentions of the French abroad, and the night's communes, cantons and constituencies
    (:mod:`local_places`; a place inside one of those, the Vienne of "2e circonscription de la
    Vienne", is theirs)."""
    places = [
        Place(mention.departement.name, mention.start, mention.end, departement=True)
        for mention in find_departements(text)
        if mention.locative
    ]
    places += [
        Place(NATIONAL, match.start(), match.end(), departement=False)
        for match in _NATIONAL_MARKER.finditer(text)
    ]
    places += [
        Place(found.scope, found.start, found.end, departement=found.scope != ABROAD)
        for found in find_territories(text)
    ]
    local = [
        Place(found.place.scope, found.start, found.end, departement=True, local=True)
        for found in find_local_places(text, subdivisions)
    ]
    places = [
        place
        for place in places
        if not any(inside.start < place.end and place.start < inside.end for inside in local)
    ]
    return tuple(sorted(places + local, key=lambda place: place.start))


def read_document(text: str, night: Night) -> Document:
    text = text[:MAX_INPUT_LENGTH]
    paragraphs = split_paragraphs(text)
    mentions = candidate_mentions(text, night)
    places = place_mentions(text, night.places)
    departements = tuple(place for place in places if place.departement)
    return Document(
        text=text,
        paragraphs=paragraphs,
        mentions=mentions,
        places=places,
        turnout_paragraphs=frozenset(
            paragraph.start
            for paragraph in paragraphs
            if _PARTICIPATION_CONTEXT.search(text, paragraph.start, paragraph.end)
        ),
        mention_starts=tuple(mention.start for mention in mentions),
        place_starts=tuple(place.start for place in places),
        departements=departements,
        departement_starts=tuple(place.start for place in departements),
        year=night.date.year,
        subdivisions=night.places,
    )
