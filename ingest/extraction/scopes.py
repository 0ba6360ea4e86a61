"""Where a figure of a text belongs: national, a département or another territory, or nowhere.

Pure. The rules (``docs/extraction.md``, "Places"): a number followed at once by a place belongs
there ("8.000 dans le Lot", "89,7 % à Paris", "12.000 votants à l'étranger"); otherwise to the
last place the paragraph named before it; else to the place a heading just above set (a
département anywhere in it, another territory only when it opens it: "Occitanie : ..."); else
national. A sentence about a place below the département (a commune, some bureaux) or that
opens on another year than the night's gives no figures (:func:`is_local`, :func:`is_history`).
:mod:`ingest.extraction.figures` asks these questions of each figure it finds.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Final

from ingest.extraction.departements import departement_named
from ingest.extraction.document import NATIONAL, Document, Span, is_heading

__all__ = ["PLACE_GAP", "is_history", "is_local", "opening_scope", "scope_of"]

# What may stand between a figure and the place it is for: "58 % des voix dans la Loire".
_GAP_WORDS: Final = (
    r"(?:(?:des?\s+|d['\u2019]\s*)?(?:voix|suffrages|votes(?:\s+exprim\w+)?|votants|électeurs"
    r"|personnes|bureaux(?:\s+de\s+vote)?)\s+)?"
)
PLACE_GAP: Final = re.compile(
    r"\s*" + _GAP_WORDS + r"(?:dans|en|à)\s+(?:(?:le|la|les)\s+|l['\u2019]\s*)?", re.IGNORECASE
)
# Before a national or abroad marker, which carries its own preposition ("à l'étranger",
# "au niveau national"), or takes "en" ("en France entière").
_MARKER_GAP: Final = re.compile(r"\s*" + _GAP_WORDS + r"(?:en\s+)?", re.IGNORECASE)
_LOCAL_MARKERS: Final = (
    re.compile(r"\b[Ss]ur\s+(?:St|Ste|Saint|Sainte)\b"),
    re.compile(
        r"\b(?:dans|sur)\s+(?:plusieurs|certains|quelques|de\s+nombreux|nombre\s+de"
        r"|la\s+plupart\s+des)\s+bureaux\b",
        re.IGNORECASE,
    ),
    re.compile(r"\bbureaux?\s+(?:de\s+vote\s+)?de\s+[A-ZÀ-ÖØ-Þ]"),
    re.compile(r"\b(?:commune|ville|village|canton)\s+d(?:e\s+|['\u2019])[A-ZÀ-ÖØ-Þ]"),
)
# "à Poitiers", "A la Roque d'Antéron": a commune, unless the name is a place of the lists
# ("À Paris", "à Lyon", "à Mayotte") or a candidate ("32,3 % à Manuel Valls").
_A_PLACE: Final = re.compile(
    r"(?:\bà|(?<!\w)[AÀ])\s+(?:la\s+|le\s+|les\s+|l['\u2019]\s*)?(?=[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ])"
)
# A sentence that opens on a year: "En 2002, ...", "En 2012 ...".
_OTHER_YEAR_OPENING: Final = re.compile(r"\s*En\s+(?P<year>(?:19|20)[0-9]{2})\b")


def is_local(document: Document, sentence: Span) -> bool:
    """Whether the sentence is about a place below the département (a commune, some bureaux)."""
    text = document.text[sentence.start : sentence.end]
    if document.names_local_place(sentence.start, sentence.end):
        return False  # a commune, canton or constituency of the night: figures of its own
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


def is_history(document: Document, sentence: Span) -> bool:
    """``En 2002, Jean-Marie Le Pen avait obtenu 17,79 %``: a sentence about another year."""
    match = _OTHER_YEAR_OPENING.match(document.text, sentence.start, sentence.end)
    return match is not None and document.year is not None and int(match["year"]) != document.year


def scope_of(
    document: Document, paragraph: Span, opening: str | None, start: int, end: int
) -> str | None:
    """The place an item belongs to (see the module docstring); None means drop it."""
    following = document.next_departement(end)
    if following is not None and PLACE_GAP.fullmatch(document.text, end, following.start):
        return following.scope
    marker = document.next_place(end)
    if (
        marker is not None
        and not marker.departement
        and _MARKER_GAP.fullmatch(document.text, end, marker.start)
    ):
        return marker.scope
    place = document.last_place_before(start)
    return place.scope if place is not None and place.start >= paragraph.start else opening


def opening_scope(document: Document, index: int) -> str | None:
    """National, unless the paragraph just above is a heading that names a place."""
    if index == 0:
        return NATIONAL
    above = document.paragraphs[index - 1]
    if not is_heading(document.text, above):
        return NATIONAL
    # A département anywhere in the heading ("Dans la Vienne, Hamon devance Valls"); another
    # territory only when it opens it ("Occitanie : ..."): "Hamon victorieux en Occitanie"
    # heads national figures.
    named = [
        place
        for place in document.places_in(above.start, above.end)
        if departement_named(place.scope or "") is not None or place.start == above.start
    ]
    return named[-1].scope if named else NATIONAL
