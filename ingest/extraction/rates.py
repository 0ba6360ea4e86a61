"""Rates a French election text states: turnout, abstention, blank and null votes. Pure.

:func:`rate_field` tells what a percentage is a rate of, from the words around it:

- ``rate_pct`` (turnout): after "participation" / "taux de participation" ("La participation s'élève
  à 69,42 %", "un taux de participation de 28,23 % à midi"), or before "des inscrits", "des
  électeurs inscrits", "de participation" ("69,42 % des inscrits avaient voté").
- ``abstention_pct``: after "abstention" ("L'abstention atteint 25,44 %"), or before "d'abstention"
  ("25,44 % d'abstention").
- ``blank_pct`` / ``null_pct``: near "blancs" / "nuls" ("8,5 % de votes blancs", "les bulletins nuls
  représentent 2,2 %").

Abstention named before the number wins over what follows it ("Record d'abstention : 25,44 % des
inscrits ne se sont pas déplacés"). Between the word and the number only words may stand, and a
clock time ("La participation à 17 heures atteint 69,42 %"): never another number, a percentage or
the end of a sentence. A count "portant sur 60 % des inscrits" is a share of the count
(:mod:`ingest.extraction.percent_figures` classifies it first). :func:`comparison` reads the year
and round a comparison is for ("contre 70,59 % en 2012", "au premier tour de 2012").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["RATE_FIELDS", "Comparison", "comparison", "rate_field"]

#: The fields a rate may fill, as :class:`ingest.model.update.Figures` names them.
RATE_FIELDS: Final = ("rate_pct", "abstention_pct", "blank_pct", "null_pct")

# Words, or a clock time, between the cue and the number: never another number.
_GAP: Final = r"(?:[^.%0-9\n]|[0-9]{1,2}\s*h(?:\s*[0-9]{2})?(?![0-9%]))"
#: The fields, in the order their cues are tried (abstention before participation: "taux
#: d'abstention" is no turnout).
_FIELDS: Final = ("abstention_pct", "blank_pct", "null_pct", "rate_pct")
_BEFORE_CUES: Final = (
    re.compile(r"\babstention\b" + _GAP + r"{0,50}$", re.IGNORECASE),
    re.compile(r"\b(?:votes?|bulletins?)\s+blancs?\b" + _GAP + r"{0,40}$", re.IGNORECASE),
    re.compile(r"\b(?:votes?|bulletins?)\s+nuls?\b" + _GAP + r"{0,40}$", re.IGNORECASE),
    re.compile(r"\bparticipation\b" + _GAP + r"{0,50}$", re.IGNORECASE),
)
_AFTER_CUES: Final = (
    re.compile(r"\s*d['\u2019]\s*abstention\b", re.IGNORECASE),
    re.compile(r"\s*(?:de\s+)?(?:(?:votes?|bulletins?)\s+)?blancs?\b", re.IGNORECASE),
    re.compile(r"\s*(?:de\s+)?(?:(?:votes?|bulletins?)\s+)?nuls?\b", re.IGNORECASE),
    re.compile(r"\s*(?:des\s+(?:électeurs\s+)?inscrits|de\s+participation)\b", re.IGNORECASE),
)
_YEAR: Final = re.compile(r"^[^,.;:%0-9]{0,50}?\b(?P<year>(?:19|20)[0-9]{2})\b")
_ROUND: Final = re.compile(
    r"^[^,.;:%0-9]{0,50}?\b(?:(?P<first>premier|1er)|second|deuxième)\s+tour\b", re.IGNORECASE
)


def rate_field(before: str, after: str) -> str | None:
    """What the percentage between ``before`` and ``after`` is a rate of, or None."""
    if _BEFORE_CUES[0].search(before):
        return "abstention_pct"  # "Record d'abstention : 25,44 % des inscrits ..."
    for name, pattern in zip(_FIELDS, _AFTER_CUES, strict=True):
        if pattern.match(after):
            return name
    for name, pattern in zip(_FIELDS, _BEFORE_CUES, strict=True):
        if pattern.search(before):
            return name
    return None


@dataclass(frozen=True, slots=True)
class Comparison:
    """The year and round a comparison rate is for, where the text says them."""

    year: int | None = None
    round: int | None = None


def comparison(after: str) -> Comparison:
    """``contre 70,59 % en 2012 au premier tour``: year 2012, round 1 (from the text after)."""
    year = _YEAR.match(after)
    round_ = _ROUND.match(after)
    return Comparison(
        year=int(year["year"]) if year else None,
        round=None if round_ is None else (1 if round_["first"] else 2),
    )
