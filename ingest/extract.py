"""Rule-based extraction of kinds, speakers, figures and rounds from French election text.

Pure functions over strings; the only data read is the list of départements
(:mod:`ingest.departements`). Every rule below is exercised by ``tests/test_extract.py`` on
every entry of the liveblog seed and on the four articles, and at its edges by
``tests/test_extract_boundaries.py``; every word of the vocabularies below is needed by one
test sentence (``tests/test_vocabulary_coverage.py``).

Kind (:func:`extract`), first rule that fits:

1. ``speech``: the text *is* a quoted line: ``Name: "..."`` / ``Name : « ... »`` at its start,
   or ``"..." - Name`` as the whole text. A quote inside a sentence (``se dit "pleinement"
   derrière``) is not a speech. The speaker is the night's candidate name when the written name
   designates one (``Benoit Hamon`` -> ``Benoît Hamon``), else the name as written; a single
   word is accepted only when it is a candidate's alias.
2. ``count`` / ``estimate``: the primary figures carry vote shares. ``estimate`` when the
   sentence stating them (or the headline) cites a poll, an institute (by that word or by the
   name of a French pollster), an exit poll, estimates or party sources and no share of the
   count is given; else ``count``.
3. ``turnout``: the primary figures carry turnout (voters, a voters range, a share of polling
   stations, a change), or the headline speaks of participation. A turnout estimate ("Entre
   1,7 et 2 millions de votants ..., selon une estimation du PS") is turnout: it is about
   participation, whoever estimates it.
4. ``estimate``: the headline cites estimates, a poll or party sources without figures
   ("Benoît Hamon vainqueur ..., selon des estimations", "(sources PS à l'AFP)").
5. ``milestone``: polls open or close, stations set up ("7 000 bureaux de vote sont installés":
   a procedural step whose figure counts polling stations, not voters), counting starts, or a
   candidate votes ("Manuel Valls vient de voter à Evry"). Other personalities voting are news.
6. ``rally``: the headline declares support ("se dit "pleinement" derrière", "se dit
   «disponible» pour aider", "se rallie", "apporte son soutien à", "rejoint le camp").
   Travelling to a candidate's headquarters ("devrait se rendre à la Mutualité où est Benoît
   Hamon") declares nothing and is news.
7. ``news``: anything else.

The headline is the text's first sentence: a liveblog entry leads with what it reports, and
the later sentences of an article mention "ralliements" or "sondages" in passing.

Figures (:func:`extract_figures`): text is cut into paragraphs (lines) and sentences. In each
sentence, percentages are classified as counted share (``à 60% du dépouillement``, ``résultats
partiels portant sur 60 % des bureaux``), share of polling stations (``Sur 75% des bureaux``,
``sur 63%`` in a sentence about bureaux), change (``hausse de 25,9 %``; kept for turnout only),
participation rate (dropped: the update model has no field for it) or vote share; percentages
above 100 are ignored. A share goes to the candidate
written next to it (``Valls 41.35%``, ``Manuel Valls (31,48%)``), then to the one it is
given for (``41,28% pour Manuel Valls``, ``32,3 % à Manuel Valls``), then to the nearest name
before it since the previous share (``Benoît Hamon est arrivé en tête avec 38,18 %``, ``est
crédité de 58 %``, ``réalise un score de 58 %``); the
first share of a sentence that names nobody before it goes to the candidate last named in the
paragraph (``Le député des Yvelines remporte le deuxième tour avec 58,72%`` after a sentence
about Benoit Hamon). Voters are numbers followed by ``votants`` / ``électeurs`` (or
``personnes`` / ``Français`` who voted or turned out), a number of stations is followed by
``bureaux``; in a paragraph about participation, a bare count followed by a département
("un peu plus de 10.000 en Aveyron") is that département's voters. After ``contre``, voters and
station shares are the comparison point (``previous``). ``à 17h`` / ``à midi`` is ``as_of``.

Scope: a number followed at once by a place ("8.000 dans le Lot", "12.000 votants à l'étranger",
"1,2 million de votants en France entière") belongs there; otherwise it
belongs to the last place the paragraph named before it ("dans la Loire", "En Aveyron",
"Dans le Var"), else to the place a heading just above set ("Vienne : ..."), else national.
Only locative mentions set a place ("le député des Yvelines" does not); "au niveau national"
sets it back. Sentences about a place below the département (``A la Roque d'Antéron``,
``sur St Etienne``, ``Dans plusieurs bureaux``) and figures about the French abroad give no
figures: a commune's 55% is not its département's. One :class:`Figures` per scope, in order of
first appearance; within a scope an exact value replaces an approximate one ("plus de 38%" then
"38,18 %"), otherwise the first value stated stands. Approximate values ("près de", "un peu
plus de", "proche de") are kept as stated when nothing exact is given.

Round: the first mention of a round that is not a comparison ("lors du second tour", "du
premier tour", "Après les résultats du premier tour"; but not "par rapport au premier tour",
"qu'au premier tour" or "qui avait soutenu ... au premier tour"); "avant ce second tour" means
the text predates the second round: round 1. Without a mention, the night's round for anything
but news (None for news). Figures with shares for three candidates or more on a second-round
night are first-round figures (a second round is a duel).

Robustness: only the first :data:`MAX_INPUT_LENGTH` characters are read, names and places are
looked up by bisection (no quadratic path on repetitive input), nothing raises on any text; figures
always satisfy :class:`ingest.update.Figures` validation (shares within 0-100, counts
non-negative, ``as_of`` a valid ``HH:MM``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import time
from functools import cache
from typing import Final, TypeVar

from ingest.departements import find_departements, fold_text
from ingest.french_numbers import NumberMatch, RangeMatch, find_numbers, find_ranges
from ingest.night import Candidate, Night
from ingest.update import Figures, Kind, Previous

__all__ = [
    "MAX_INPUT_LENGTH",
    "Extraction",
    "ScopedFigures",
    "extract",
    "extract_figures",
    "extract_scoped_figures",
    "split_time_prefix",
]

# Longest text looked at: twice the longest update text (update.MAX_TEXT_LENGTH); the rest of a
# longer (broken or hostile) text is ignored, which keeps extraction linear and fast.
MAX_INPUT_LENGTH: Final = 40_000
NATIONAL: Final = "national"
MAX_VOTERS: Final = 100_000_000  # more than every registered voter in France: not a count

# -- patterns ---------------------------------------------------------------------------------

_TIME_PREFIX: Final = re.compile(
    r"^\s*(?P<hour>[0-9]{1,2})[^\S\n]*[hH][^\S\n]*(?P<minute>[0-5][0-9])(?![0-9])"
    r"(?:[^\S\n]*[:\-\u2013\u2014][^\S\n]*|(?=\s)|$)"
)
_SENTENCE_BREAK: Final = re.compile(r"(?:\.{2,}|…)\s*|[.!?]+[\"»”)]*(?:\s+|(?=[A-ZÀ-ÖØ-Þ«\"“]))")
_ABBREVIATION: Final = re.compile(r"(?:^|[\s(])(?:[A-Z]|Mme|Mlle|MM|Dr|St|Ste|Me)$")
_HEADING_END: Final = tuple('.!?…:;,»"”')
MAX_HEADING_LENGTH: Final = 120

_NAME_WORD: Final = r"[A-ZÀ-ÖØ-Þ][^\W\d_]{0,30}(?:[-'\u2019][A-Za-zÀ-ÖØ-öø-ÿ][^\W\d_]{0,30}){0,3}"
_NAME: Final = (
    rf"{_NAME_WORD}(?:(?:[^\S\n]+(?:(?:de|du|des|le|la|van|von|di|da|el|ben)[^\S\n]+|d['\u2019])?)"
    rf"{_NAME_WORD}){{0,3}}"
)
_SPEECH_LEAD: Final = re.compile(rf"^\s*(?P<name>{_NAME})[^\S\n]*:[^\S\n]*[\"«“„]")
_SPEECH_TRAIL: Final = re.compile(
    rf"^\s*[\"«“„][^\"»”\n]{{1,2000}}[\"»”][^\S\n]*[-\u2013\u2014][^\S\n]*(?P<name>{_NAME})"
    r"[^\S\n]*\.?\s*$"
)

_ESTIMATE_CUE: Final = re.compile(
    r"\bestimations?\b|\bsondages?\b|\bsortie\s+des\s+urnes\b|\binstituts?\b|\bprojections?\b"
    r"|\bsources?\s+(?:PS|du\s+PS|socialistes?|proches?|internes?|concordantes?)\b"
    r"|\bpremi[èe]res\s+tendances\b"
    r"|\b(?:Ifop|Ipsos|Elabe|OpinionWay|Odoxa|BVA|Harris\s+Interactive|Kantar|Sofres|Viavoice)\b",
    re.IGNORECASE,
)
_TURNOUT_CUE: Final = re.compile(r"\b(?:participation|votants|affluence|abstention)\b", re.I)
_PARTICIPATION_CONTEXT: Final = re.compile(
    r"\b(?:participation|votants|électeurs|électrices|se\s+sont\s+déplacé|affluence)", re.I
)
_MILESTONE_CUE: Final = re.compile(
    r"\b(?:ouverture|fermeture|clôture)\s+des\s+bureaux\s+de\s+vote"
    r"|\bbureaux\s+de\s+vote\s+(?:ferment|ouvrent|ont\s+(?:fermé|ouvert)|vont\s+(?:fermer|ouvrir)"
    r"|sont\s+(?:désormais\s+|déjà\s+)?(?:fermés|ouverts|installés))"
    r"|\b(?:début|fin)\s+du\s+dépouillement"
    r"|\ble\s+dépouillement\s+(?:commence|a\s+commencé|débute|a\s+débuté)"
    r"|\bproclamation\s+des\s+résultats",
    re.IGNORECASE,
)
_CANDIDATE_VOTED: Final = re.compile(
    r"[^\S\n]+(?:vient\s+de\s+voter|a\s+voté|est\s+allée?\s+voter|a\s+glissé\s+son\s+bulletin)\b",
    re.IGNORECASE,
)
_RALLY_CUE: Final = re.compile(
    r"\bse\s+dit\s+(?:[\"«“]\s*)?[^\W\d_]+(?:\s*[\"»”])?\s+derri[èe]re\b"
    r"|\bse\s+dit\s+(?:[\"«“]\s*)?(?:prête?|disponible)(?:\s*[\"»”])?\s+(?:à|pour)\s+"
    r"(?:aider|soutenir|accompagner|rejoindre|travailler)"
    r"|\b(?:apporte|apportera|annonce|affiche|déclare|réaffirme|confirme|officialise)\s+son\s+"
    r"soutien\s+à"
    r"|\bse\s+(?:rallie|range)\b"
    r"|\b(?:rallie|rejoint)\s+(?:le\s+camp|la\s+campagne|l['\u2019]équipe|les\s+rangs)"
    r"|\bappelle\s+(?:\w+\s+){0,2}à\s+voter\s+(?:pour|en\s+faveur)",
    re.IGNORECASE,
)

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
    r"(?:d[ée]pouill\w*\s+(?:de\s+|à\s+|sur\s+)?|résultats\s+(?:partiels\s+)?(?:portant\s+)?sur\s+)"
    + _APPROX
    + r"?$",
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
_RATE_BEFORE: Final = re.compile(r"\b(?:participation|abstention)\b[^.%0-9]{0,30}$", re.IGNORECASE)
_SHARE_CUE_BEFORE: Final = re.compile(
    r"\b(?:avec|obtient|obtenu|obtiendrait|recueill\w*|réuni\w*|rallie|remporte|emporte"
    r"|score(?:\s+de)?|contre|à|crédité\w*(?:\s+de)?)\s+" + _APPROX + r"?(?:les\s+)?$",
    re.IGNORECASE,
)
_SHARE_CUE_AFTER: Final = re.compile(
    r"\s*(?:des\s+(?:voix|suffrages|votes|exprimés)|d['\u2019]intentions?)", re.IGNORECASE
)
_NAME_BEFORE_SHARE: Final = re.compile(r"[^\S\n]*(?:\(|:)?[^\S\n]*")
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
# What may stand between a figure and the place it is for: "58 % des voix dans la Loire".
_GAP_WORDS: Final = (
    r"(?:(?:des?\s+|d['\u2019]\s*)?(?:voix|suffrages|votes(?:\s+exprim\w+)?|votants|électeurs"
    r"|personnes|bureaux(?:\s+de\s+vote)?)\s+)?"
)
_PLACE_GAP: Final = re.compile(
    r"\s*" + _GAP_WORDS + r"(?:dans|en)\s+(?:(?:le|la|les)\s+|l['\u2019]\s*)?", re.IGNORECASE
)
# Before a national or abroad marker, which carries its own preposition ("à l'étranger",
# "au niveau national"), or takes "en" ("en France entière").
_MARKER_GAP: Final = re.compile(r"\s*" + _GAP_WORDS + r"(?:en\s+)?", re.IGNORECASE)
_NATIONAL_MARKER: Final = re.compile(
    r"\b(?:au\s+niveau\s+national|sur\s+le\s+plan\s+national|à\s+l['\u2019]échelle\s+nationale"
    r"|dans\s+toute\s+la\s+France|France\s+entière)\b",
    re.IGNORECASE,
)
_ABROAD_MARKER: Final = re.compile(
    r"\b(?:de|à)\s+l['\u2019]étranger\b|\bhors\s+de\s+France\b|\bexpatriés\b", re.IGNORECASE
)
_LOCAL_MARKERS: Final = (
    re.compile(r"^\s*[AÀ]\s+(?:la\s+|le\s+|les\s+|l['\u2019]\s*)?[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]"),
    re.compile(r"\b[Ss]ur\s+(?:St|Ste|Saint|Sainte)\b"),
    re.compile(
        r"\b(?:dans|sur)\s+(?:plusieurs|certains|quelques|de\s+nombreux|nombre\s+de"
        r"|la\s+plupart\s+des)\s+bureaux\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bbureaux?\s+(?:de\s+vote\s+)?de\s+[A-ZÀ-ÖØ-Þ]"),
    re.compile(r"\b(?:commune|ville|village|canton)\s+d(?:e\s+|['\u2019])[A-ZÀ-ÖØ-Þ]"),
)
_A_PLACE: Final = re.compile(
    r"\bà\s+(?:la\s+|le\s+|les\s+|l['\u2019]\s*)?(?=[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ])"
)

_ROUND_MARKER: Final = re.compile(
    r"\b(?:(?P<first>premier|1er)|second|deuxieme|2e|2eme|2nd)\s+tour\b"
)
_BEFORE_SECOND_ROUND: Final = re.compile(r"\b(?:avant|en\s+vue\s+d[ue])\s+(?:le\s+|ce\s+)?$")
_COMPARISON: Final = re.compile(
    r"\b(?:rapport|qu|que|contre|depuis|comme|avai(?:t|ent)|etai(?:t|ent)|\w{4,}ai(?:en)?t)\b"
)
_CLAUSE_BREAK: Final = re.compile(r"[,;:.!?()\n]")


_V = TypeVar("_V")

# -- public types -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Extraction:
    """What one entry's text reports: its kind, and speaker, figures and round when known."""

    kind: Kind
    speaker: str | None = None
    figures: Figures | None = None
    round: int | None = None


@dataclass(frozen=True, slots=True)
class ScopedFigures:
    """One scope's figures and the round they belong to (None when unknown)."""

    figures: Figures
    round: int | None


# -- internal types ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Mention:
    """A candidate named in the text, with the full name it designates."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Place:
    """Where a text places what follows: a département, national (or None: abroad)."""

    scope: str | None
    start: int
    end: int
    departement: bool


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


@dataclass(frozen=True, slots=True)
class _Document:
    """A text cut into paragraphs, with the names and places it mentions (sorted by start).

    ``turnout_paragraphs`` holds the start of every paragraph that speaks of participation.
    """

    text: str
    paragraphs: tuple[_Span, ...]
    mentions: tuple[_Mention, ...]
    places: tuple[_Place, ...]
    turnout_paragraphs: frozenset[int]
    mention_starts: tuple[int, ...] = ()
    place_starts: tuple[int, ...] = ()
    departements: tuple[_Place, ...] = ()
    departement_starts: tuple[int, ...] = ()

    def mentions_in(self, start: int, end: int) -> list[_Mention]:
        """The candidate mentions lying within ``[start, end)``."""
        low = bisect_left(self.mention_starts, start)
        high = bisect_left(self.mention_starts, end)
        return [mention for mention in self.mentions[low:high] if mention.end <= end]

    def places_in(self, start: int, end: int) -> tuple[_Place, ...]:
        """The places starting within ``[start, end)``."""
        low = bisect_left(self.place_starts, start)
        return self.places[low : bisect_left(self.place_starts, end)]

    def last_place_before(self, position: int) -> _Place | None:
        """The last place that starts before ``position``."""
        index = bisect_left(self.place_starts, position) - 1
        return self.places[index] if index >= 0 else None

    def next_place(self, position: int) -> _Place | None:
        """The first place that starts at or after ``position``."""
        index = bisect_left(self.place_starts, position)
        return self.places[index] if index < len(self.places) else None

    def next_departement(self, position: int) -> _Place | None:
        """The first département mention that starts at or after ``position``."""
        index = bisect_left(self.departement_starts, position)
        return self.departements[index] if index < len(self.departements) else None

    def speaks_of_turnout(self, paragraph: _Span) -> bool:
        """Whether the paragraph speaks of participation (voters, turnout)."""
        return paragraph.start in self.turnout_paragraphs


@dataclass(slots=True)
class _Accumulator:
    """The figures of one scope, merged as items arrive."""

    scope: str
    values: dict[str, tuple[int | float | str, bool]] = field(default_factory=dict)
    shares: dict[str, tuple[float, bool]] = field(default_factory=dict)
    estimated: bool = False

    def offer(self, item: _Item) -> None:
        """Keep the item unless an exact value is already there (or it is approximate too)."""
        if item.field == "share":
            assert item.candidate is not None
            assert isinstance(item.value, int | float)
            _keep(self.shares, item.candidate, (item.value, item.approx))
            self.estimated = self.estimated or item.estimated
            return
        _keep(self.values, item.field, (item.value, item.approx))


def _keep(store: dict[str, tuple[_V, bool]], key: str, offered: tuple[_V, bool]) -> None:
    current = store.get(key)
    if current is None or (current[1] and not offered[1]):
        store[key] = offered


# -- time prefix ------------------------------------------------------------------------------


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


# -- structure --------------------------------------------------------------------------------


def _paragraphs(text: str) -> tuple[_Span, ...]:
    """Every non-blank line, trimmed."""
    spans: list[_Span] = []
    for match in re.finditer(r"[^\n]+", text):
        line = match.group()
        if not line.strip():
            continue
        start = match.start() + len(line) - len(line.lstrip())
        end = match.end() - (len(line) - len(line.rstrip()))
        spans.append(_Span(start, end))
    return tuple(spans)


def _is_heading(text: str, paragraph: _Span) -> bool:
    """A short line without final punctuation ("Vienne : Benoit Hamon devance Manuel Valls")."""
    line = text[paragraph.start : paragraph.end]
    return len(line) <= MAX_HEADING_LENGTH and not line.endswith(_HEADING_END)


def _sentences(text: str, paragraph: _Span) -> list[_Span]:
    """The sentences of a paragraph, including those glued without a space ("17,03%.Benoit")."""
    spans: list[_Span] = []
    start = paragraph.start
    for match in _SENTENCE_BREAK.finditer(text, paragraph.start, paragraph.end):
        single_dot = match.group().startswith(".") and not match.group().startswith("..")
        window = max(paragraph.start, match.start() - 5)
        if single_dot and _ABBREVIATION.search(text, window, match.start()):
            continue
        end = match.start() + len(match.group().rstrip())
        if text[start:end].strip():
            spans.append(_Span(start, end))
        start = match.end()
    if text[start : paragraph.end].strip():
        spans.append(_Span(start, paragraph.end))
    return spans


def _first_sentence(document: _Document) -> str:
    if not document.paragraphs:
        return ""
    sentences = _sentences(document.text, document.paragraphs[0])
    first = sentences[0] if sentences else document.paragraphs[0]
    return document.text[first.start : first.end]


# -- names and places -------------------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(re.split(r"[\s\-\u2010\u2011'\u2019]+", fold_text(name)[0].strip()))


@cache
def _candidate_pattern(candidates: tuple[Candidate, ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One alternation of every spelling of every candidate (folded, longest first)."""
    names: dict[str, str] = {}
    for candidate in candidates:
        for spelling in candidate.spellings:
            key = _name_key(spelling)
            if key:
                names.setdefault(key, candidate.name)
    alternatives = [
        r"[\s\-\u2010\u2011'\u2019]+".join(re.escape(part) for part in key.split(" "))
        for key in sorted(names, key=len, reverse=True)
    ]
    if not alternatives:
        return re.compile(r"(?!x)x"), names
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"), names


def _candidate_mentions(text: str, night: Night) -> tuple[_Mention, ...]:
    pattern, names = _candidate_pattern(night.candidates)
    folded, offsets = fold_text(text)
    mentions: list[_Mention] = []
    for match in pattern.finditer(folded):
        name = names.get(_name_key(match.group()))
        if name is not None:
            start, end = offsets[match.start()], offsets[match.end() - 1] + 1
            mentions.append(_Mention(name, start, end))
    return tuple(mentions)


def _places(text: str) -> tuple[_Place, ...]:
    """Locative département mentions, national markers and mentions of the French abroad."""
    places = [
        _Place(mention.departement.name, mention.start, mention.end, departement=True)
        for mention in find_departements(text)
        if mention.locative
    ]
    places += [
        _Place(NATIONAL, match.start(), match.end(), departement=False)
        for match in _NATIONAL_MARKER.finditer(text)
    ]
    places += [
        _Place(None, match.start(), match.end(), departement=False)
        for match in _ABROAD_MARKER.finditer(text)
    ]
    return tuple(sorted(places, key=lambda place: place.start))


def _document(text: str, night: Night) -> _Document:
    text = text[:MAX_INPUT_LENGTH]
    paragraphs = _paragraphs(text)
    mentions = _candidate_mentions(text, night)
    places = _places(text)
    departements = tuple(place for place in places if place.departement)
    return _Document(
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
    )


def _is_local(document: _Document, sentence: _Span) -> bool:
    """Whether the sentence is about a place below the département (a commune, some bureaux)."""
    text = document.text[sentence.start : sentence.end]
    if any(marker.search(text) for marker in _LOCAL_MARKERS):
        return True
    named = sorted(
        [(m.start, m.end) for m in document.mentions_in(sentence.start, sentence.end)]
        + [(p.start, p.end) for p in document.places_in(sentence.start, sentence.end)]
    )
    starts = [start for start, _ in named]
    for match in _A_PLACE.finditer(text):
        at = sentence.start + match.end()
        index = bisect_right(starts, at) - 1
        if index < 0 or not named[index][0] <= at < named[index][1]:
            return True
    return False


# -- percentages ------------------------------------------------------------------------------


def _before(text: str, sentence: _Span, number: NumberMatch | RangeMatch) -> str:
    return text[
        max(sentence.start, sentence.start + number.start - 80) : sentence.start + number.start
    ]


def _after(text: str, sentence: _Span, number: NumberMatch | RangeMatch) -> str:
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
    if _RATE_BEFORE.search(before):
        return "rate"
    return "share"


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


# -- shares -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Names:
    """The candidate mentions of one sentence, with their starts and ends for bisection."""

    mentions: list[_Mention]
    starts: list[int]
    ends: list[int]

    @classmethod
    def of(cls, mentions: list[_Mention]) -> _Names:
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


# How far back in a paragraph the subject of a sentence is looked for, in mentions.
MAX_SUBJECT_LOOKBACK: Final = 50


def _recent_name(
    document: _Document, paragraph: _Span, sentence: _Span, taken: set[str]
) -> str | None:
    """The candidate last named in the paragraph before this sentence, not yet given a share."""
    index = bisect_left(document.mention_starts, sentence.start) - 1
    lowest = max(-1, index - MAX_SUBJECT_LOOKBACK)
    while index > lowest and document.mentions[index].start >= paragraph.start:
        if document.mentions[index].name not in taken:
            return document.mentions[index].name
        index -= 1
    return None


def _pair_shares(
    document: _Document, paragraph: _Span, sentence: _Span, shares: list[NumberMatch]
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


# -- items of a sentence ----------------------------------------------------------------------


def _percent_items(
    document: _Document, paragraph: _Span, sentence: _Span, numbers: list[NumberMatch]
) -> list[_Item]:
    """Shares, counted share, station shares and changes stated by a sentence's percentages."""
    text, base = document.text, sentence.start
    sentence_text = text[sentence.start : sentence.end]
    estimated = bool(_ESTIMATE_CUE.search(sentence_text))
    contre = _CONTRE.search(sentence_text)
    about_stations = bool(_MENTIONS_STATIONS.search(sentence_text))
    items: list[_Item] = []
    shares: list[NumberMatch] = []
    for number in numbers:
        if not number.percent or not 0 <= number.value <= 100:
            continue
        before, after = _before(text, sentence, number), _after(text, sentence, number)
        start, end, approx = base + number.start, base + number.end, _is_approx(before)
        role = _percent_role(before, after, about_stations)
        if role == "share":
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


def _in_range(number: NumberMatch, ranges: list[RangeMatch]) -> bool:
    return any(found.start <= number.start and number.end <= found.end for found in ranges)


def _range_items(document: _Document, sentence: _Span, ranges: list[RangeMatch]) -> list[_Item]:
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
    document: _Document, paragraph: _Span, sentence: _Span, number: NumberMatch, has_voters: bool
) -> str | None:
    """What a whole number counts: voters (now or before), stations, or nothing we know."""
    text = document.text
    before, after = _before(text, sentence, number), _after(text, sentence, number)
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
        and _PLACE_GAP.fullmatch(text, sentence.start + number.end, place.start)
        and document.speaks_of_turnout(paragraph)
    ):
        return "voters"
    return None


def _follows_first_round(document: _Document, sentence: _Span, number: NumberMatch) -> bool:
    """``12.000 Français avaient participé au premier tour``: a first-round comparison point."""
    match = _EARLIER_ROUND_AFTER.match(_after(document.text, sentence, number))
    return match is not None and match["first"] is not None


def _count_items(
    document: _Document, paragraph: _Span, sentence: _Span, numbers: list[NumberMatch]
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


def _as_of_item(document: _Document, sentence: _Span, items: list[_Item]) -> _Item | None:
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


_TURNOUT_FIELDS: Final = frozenset(
    {"voters", "voters_low", "voters_high", "stations_pct", "change_pct", "previous.voters"}
)


def _sentence_items(document: _Document, paragraph: _Span, sentence: _Span) -> list[_Item]:
    """Every figure one sentence states, in text order (none for a commune or some bureaux)."""
    if _is_local(document, sentence):
        return []
    numbers = find_numbers(document.text[sentence.start : sentence.end])
    if not numbers:
        return []
    items = _percent_items(document, paragraph, sentence, numbers)
    items += _count_items(document, paragraph, sentence, numbers)
    as_of = _as_of_item(document, sentence, items)
    if as_of is not None:
        items.append(as_of)
    return sorted(items, key=lambda item: item.start)


# -- scopes -----------------------------------------------------------------------------------


def _scope_of(
    document: _Document, paragraph: _Span, opening: str | None, item: _Item
) -> str | None:
    """The place an item belongs to (see the module docstring); None means drop it."""
    following = document.next_departement(item.end)
    if following is not None and _PLACE_GAP.fullmatch(document.text, item.end, following.start):
        return following.scope
    marker = document.next_place(item.end)
    if (
        marker is not None
        and not marker.departement
        and _MARKER_GAP.fullmatch(document.text, item.end, marker.start)
    ):
        return marker.scope
    place = document.last_place_before(item.start)
    return place.scope if place is not None and place.start >= paragraph.start else opening


def _opening_scope(document: _Document, index: int) -> str | None:
    """National, unless the paragraph just above is a heading that names a place."""
    if index == 0:
        return NATIONAL
    above = document.paragraphs[index - 1]
    if not _is_heading(document.text, above):
        return NATIONAL
    named = document.places_in(above.start, above.end)
    return named[-1].scope if named else NATIONAL


def _accumulate(document: _Document) -> list[_Accumulator]:
    """Every scope's merged figures, in order of first appearance."""
    scopes: dict[str, _Accumulator] = {}
    for index, paragraph in enumerate(document.paragraphs):
        opening = _opening_scope(document, index)
        for sentence in _sentences(document.text, paragraph):
            for item in _sentence_items(document, paragraph, sentence):
                scope = _scope_of(document, paragraph, opening, item)
                if scope is None:
                    continue
                scopes.setdefault(scope, _Accumulator(scope)).offer(item)
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
    if voters is None and stations is None:
        return None
    return Previous(voters=voters, stations_pct=stations, round=_whole(store, "previous.round"))


def _figures(accumulator: _Accumulator) -> Figures:
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
    )


# -- rounds -----------------------------------------------------------------------------------


def _stated_round(text: str) -> int | None:
    """The round the text is about, from its first mention of a round that is no comparison."""
    folded = fold_text(text)[0]
    for match in _ROUND_MARKER.finditer(folded):
        clause_start = 0
        for breaker in _CLAUSE_BREAK.finditer(folded, max(0, match.start() - 200), match.start()):
            clause_start = breaker.end()
        clause = folded[max(clause_start, match.start() - 200) : match.start()]
        if match["first"] is None and _BEFORE_SECOND_ROUND.search(clause):
            return 1
        if _COMPARISON.search(clause):
            continue
        return 1 if match["first"] is not None else 2
    return None


def _figures_round(figures: Figures, stated: int | None, night: Night) -> int:
    if night.round == 2 and len(figures.shares) >= 3:
        return 1
    return stated if stated is not None else night.round


# -- public API -------------------------------------------------------------------------------


def extract_scoped_figures(text: str, night: Night) -> list[ScopedFigures]:
    """Every scope's figures with the round they belong to, in text order."""
    document = _document(text, night)
    stated = _stated_round(document.text)
    scoped: list[ScopedFigures] = []
    for accumulator in _accumulate(document):
        figures = _figures(accumulator)
        scoped.append(ScopedFigures(figures, _figures_round(figures, stated, night)))
    return scoped


def extract_figures(text: str, night: Night) -> list[Figures]:
    """Every set of figures the text states, one per scope (national, each département).

    In text order (of each scope's first figure).
    """
    return [scoped.figures for scoped in extract_scoped_figures(text, night)]


def _speaker(text: str, night: Night) -> str | None:
    """Who the text quotes, if the text is a quoted line (``Name: "..."`` or ``"..." - Name``)."""
    match = _SPEECH_LEAD.match(text) or _SPEECH_TRAIL.match(text)
    if match is None:
        return None
    written = " ".join(match["name"].split())
    candidate = night.candidate_named(written)
    if candidate is not None:
        return candidate
    return written if " " in written else None


def _primary(accumulators: list[_Accumulator]) -> _Accumulator | None:
    national = [item for item in accumulators if item.scope == NATIONAL]
    if national:
        return national[0]
    return accumulators[0] if accumulators else None


def _has_turnout(figures: Figures) -> bool:
    return any(
        value is not None
        for value in (
            figures.voters,
            figures.voters_low,
            figures.voters_high,
            figures.stations_pct,
            figures.change_pct,
            figures.previous,
        )
    )


def _is_milestone(document: _Document, headline: str) -> bool:
    """Polls open or close, counting starts, or the text opens with a candidate voting."""
    if _MILESTONE_CUE.search(headline):
        return True
    if not document.paragraphs or not document.mentions:
        return False
    first = document.mentions[0]
    return first.start == document.paragraphs[0].start and bool(
        _CANDIDATE_VOTED.match(document.text, first.end)
    )


def _kind(document: _Document, primary: _Accumulator | None, figures: Figures | None) -> Kind:
    headline = _first_sentence(document)
    if figures is not None and figures.shares:
        assert primary is not None
        estimated = primary.estimated or bool(_ESTIMATE_CUE.search(headline))
        return Kind.ESTIMATE if estimated and figures.counted_pct is None else Kind.COUNT
    if (figures is not None and _has_turnout(figures)) or _TURNOUT_CUE.search(headline):
        return Kind.TURNOUT
    if _ESTIMATE_CUE.search(headline):
        return Kind.ESTIMATE
    if _is_milestone(document, headline):
        return Kind.MILESTONE
    if _RALLY_CUE.search(headline):
        return Kind.RALLY
    return Kind.NEWS


def extract(text: str, night: Night) -> Extraction:
    """Kind, speaker, primary figures and round of one entry's text.

    ``text`` comes without its ``HHhMM:`` prefix (see :func:`split_time_prefix`). The primary
    figures are the national ones if the text states any, else the first scope's. Never raises.
    """
    document = _document(text, night)
    stated = _stated_round(document.text)
    speaker = _speaker(document.text, night)
    if speaker is not None:
        return Extraction(Kind.SPEECH, speaker=speaker, round=stated or night.round)
    primary = _primary(_accumulate(document))
    figures = None if primary is None else _figures(primary)
    kind = _kind(document, primary, figures)
    if figures is not None:
        round_: int | None = _figures_round(figures, stated, night)
    elif stated is not None:
        round_ = stated
    else:
        round_ = None if kind is Kind.NEWS else night.round
    return Extraction(kind, figures=figures, round=round_)
