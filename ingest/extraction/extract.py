"""Rule-based extraction from French election text: an entry's kind and speaker, with its
figures (:mod:`ingest.extraction.figures`) and round (:mod:`ingest.extraction.rounds`).

Pure functions over strings; the only data read is the list of départements
(:mod:`ingest.extraction.departements`). A text is first read into paragraphs, sentences,
candidate mentions and places (:mod:`ingest.extraction.document`); the rules below work on that.
Every rule below is exercised by ``tests/test_extract.py`` on every entry of the liveblog seed and
on the four articles.

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

Figures and their scope: :mod:`ingest.extraction.figures`; rounds: :mod:`ingest.extraction.rounds`.

Robustness: only the first
:data:`~ingest.extraction.document.MAX_INPUT_LENGTH` characters are read, names and places are
looked up by bisection (no quadratic path on repetitive input), nothing raises on any text; figures
always satisfy :class:`ingest.model.update.Figures` validation (shares within 0-100, counts
non-negative, ``as_of`` a valid ``HH:MM``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ingest.extraction.document import (
    Document,
    first_sentence,
    read_document,
)
from ingest.extraction.figures import (
    Accumulator,
    accumulate,
    figures_of,
    other_scopes,
    primary_scope,
)
from ingest.extraction.institutes import institute_of
from ingest.extraction.leads import with_leader_shares
from ingest.extraction.percent_figures import ESTIMATE_CUE
from ingest.extraction.rallies import calls_to_vote, declares_support
from ingest.extraction.rounds import figures_round, stated_round
from ingest.extraction.speakers import attributed_speaker
from ingest.model.night import Night
from ingest.model.update import Figures, Kind

__all__ = [
    "Extraction",
    "extract",
]


# -- patterns ---------------------------------------------------------------------------------


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

_TURNOUT_CUE: Final = re.compile(r"\b(?:participation|votants|affluence|abstention)\b", re.I)
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
# Kinds a headline's word gives without figures ("a commenté les premières estimations"): an
# attributed quote in the lead makes the text a speech instead.
_CUE_ONLY_KINDS: Final = frozenset({Kind.NEWS, Kind.ESTIMATE, Kind.TURNOUT})


# -- public types -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Extraction:
    """What one entry's text reports: its kind, and speaker, figures, round and (for an
    estimate) polling institute when known."""

    kind: Kind
    speaker: str | None = None
    figures: Figures | None = None
    round: int | None = None
    #: The figures of every other scope the text states (``Update.more_figures``).
    more_figures: tuple[Figures, ...] = ()
    institute: str | None = None


# -- internal types ---------------------------------------------------------------------------


# -- time prefix ------------------------------------------------------------------------------


# -- structure --------------------------------------------------------------------------------


# -- names and places -------------------------------------------------------------------------


# -- percentages ------------------------------------------------------------------------------


# -- shares -----------------------------------------------------------------------------------


# -- items of a sentence ----------------------------------------------------------------------


# -- scopes -----------------------------------------------------------------------------------


# -- rounds -----------------------------------------------------------------------------------


# -- public API -------------------------------------------------------------------------------


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


def _has_result(figures: Figures) -> bool:
    """Shares, votes, seats, or the totals only a count states (exprimés, blancs, nuls)."""
    return bool(figures.shares or figures.votes or figures.seats) or any(
        value is not None
        for value in (figures.seats_total, figures.cast, figures.blank, figures.null)
    )


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
            figures.rate_pct,
            figures.abstention_pct,
        )
    )


def _is_milestone(document: Document, headline: str) -> bool:
    """Polls open or close, counting starts, or the text opens with a candidate voting."""
    if _MILESTONE_CUE.search(headline):
        return True
    if not document.paragraphs or not document.mentions:
        return False
    first = document.mentions[0]
    return first.start == document.paragraphs[0].start and bool(
        _CANDIDATE_VOTED.match(document.text, first.end)
    )


def _first_paragraph(document: Document) -> str:
    if not document.paragraphs:
        return ""
    first = document.paragraphs[0]
    return document.text[first.start : first.end]


def _kind(document: Document, primary: Accumulator | None, figures: Figures | None) -> Kind:
    headline = first_sentence(document)
    if figures is not None and _has_result(figures):
        estimated = (
            (primary is not None and primary.estimated)
            or bool(ESTIMATE_CUE.search(headline))
            or institute_of(headline) is not None
        )
        return Kind.ESTIMATE if estimated and figures.counted_pct is None else Kind.COUNT
    if figures is not None and _has_turnout(figures):
        return Kind.TURNOUT
    if calls_to_vote(_first_paragraph(document)):
        return Kind.RALLY
    if _TURNOUT_CUE.search(headline):
        return Kind.TURNOUT
    if ESTIMATE_CUE.search(headline):
        return Kind.ESTIMATE
    if _is_milestone(document, headline):
        return Kind.MILESTONE
    if declares_support(headline):
        return Kind.RALLY
    return Kind.NEWS


def extract(text: str, night: Night) -> Extraction:
    """Kind, speaker, primary figures and round of one entry's text.

    ``text`` comes without its ``HHhMM:`` prefix (see :func:`split_time_prefix`). The primary
    figures are the national ones if the text states any, else the first scope's. Never raises.
    """
    document = read_document(text, night)
    stated = stated_round(document.text)
    speaker = _speaker(document.text, night)
    if speaker is not None:
        return Extraction(Kind.SPEECH, speaker=night.person(speaker), round=stated or night.round)
    accumulators = accumulate(document)
    primary = primary_scope(accumulators)
    figures = None if primary is None else with_leader_shares(document, figures_of(primary))
    kind = _kind(document, primary, figures)
    if kind in _CUE_ONLY_KINDS and (
        figures is None or not (_has_result(figures) or _has_turnout(figures))
    ):
        speaker = attributed_speaker(document, night)
        if speaker is not None:
            return Extraction(
                Kind.SPEECH, speaker=night.person(speaker), round=stated or night.round
            )
    institute = institute_of(document.text) if kind is Kind.ESTIMATE else None
    if figures is not None:
        round_: int | None = figures_round(figures, stated, night)
    elif stated is not None:
        round_ = stated
    else:
        round_ = None if kind is Kind.NEWS else night.round
    more = other_scopes(accumulators, primary) if figures is not None else ()
    return Extraction(kind, figures=figures, round=round_, institute=institute, more_figures=more)
