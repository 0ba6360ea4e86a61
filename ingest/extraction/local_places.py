"""Mentions of the night's communes, cantons and constituencies (``places`` of the night file).

Pure. Rules (``docs/extraction.md``, "Places below the département"), accents and case aside:

* a canton is named with its word: ``le canton de Poitiers-1``, ``du canton d'Angers-2``,
  ``Canton de Loudun :``;
* a constituency by its name as the night file writes it (``2e circonscription de la Vienne``);
* a commune after a locative cue: ``à Poitiers``, ``sur Poitiers``, ``la commune de``, ``la
  ville de``, or opening a paragraph before ``:`` / ``,`` / a dash
  (``Poitiers : ...``, the heading style of regional dailies). A commune's name inside a
  canton's mention ("canton de Loudun") is the canton, never the commune: a commune and a canton
  of the same name stay apart.

Each mention spans the name (the whole ``canton de ...`` for a canton), so a figure followed
by it ("12 345 voix à Poitiers") goes to it as to a département.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final

from ingest.extraction.departements import fold_text
from ingest.model.night import Subdivision

__all__ = ["LocalMention", "find_local_places"]

_COMMUNE_CUE: Final = r"(?:(?<!\w)(?:a|sur)\s+|(?<!\w)(?:commune|ville)\s+d(?:e\s+|['\u2019]\s*))"
_OPENING_END: Final = r"(?=[^\S\n]*[:,\u2013\u2014-])"
_NOT_GOING_ON: Final = r"(?![\w\u2019']|-\w)"


@dataclass(frozen=True, slots=True)
class LocalMention:
    """A place of the night file named in a text, with the scope its figures take."""

    place: Subdivision
    start: int
    end: int


def _name_pattern(name: str) -> str:
    folded = fold_text(name)[0].strip()
    parts = re.split(r"[\s\-\u2010\u2011'\u2019]+", folded)
    return r"[\s\-\u2010\u2011'\u2019]+".join(re.escape(part) for part in parts if part)


@cache
def _patterns(places: tuple[Subdivision, ...]) -> tuple[tuple[re.Pattern[str], Subdivision], ...]:
    found: list[tuple[re.Pattern[str], Subdivision]] = []
    for place in places:
        name = _name_pattern(place.name)
        if not name:
            continue
        if place.kind == "canton":
            pattern = rf"(?<!\w)canton\s+d(?:e\s+|['\u2019]\s*)(?P<name>{name}){_NOT_GOING_ON}"
        elif place.kind == "constituency":
            pattern = rf"(?<!\w)(?P<name>{name}){_NOT_GOING_ON}"
        else:
            pattern = (
                rf"{_COMMUNE_CUE}(?P<name>{name}){_NOT_GOING_ON}"
                rf"|^[^\S\n]*(?P<opening>{name}){_NOT_GOING_ON}{_OPENING_END}"
            )
        found.append((re.compile(pattern, re.MULTILINE), place))
    return tuple(found)


def find_local_places(text: str, places: tuple[Subdivision, ...]) -> list[LocalMention]:
    """Every mention of a place of ``places`` in ``text``, in order, never overlapping (a
    canton's mention wins over a commune inside it)."""
    if not places:
        return []
    folded, offsets = fold_text(text)
    spans: list[tuple[int, int, Subdivision]] = []
    for pattern, place in _patterns(places):
        for match in pattern.finditer(folded):
            group = "name" if match["name"] is not None else "opening"
            start = match.start() if place.kind == "canton" else match.start(group)
            spans.append((start, match.end(group), place))
    spans.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    kept: list[LocalMention] = []
    for start, end, place in spans:
        if kept and start < kept[-1].end:
            continue
        kept.append(LocalMention(place, offsets[start], offsets[end - 1] + 1))
    return kept
