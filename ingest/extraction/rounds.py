"""Which round a text or its figures are about: first or second. Pure.

The text's own statement wins (its first mention of a round that is no comparison: "au second
tour", "le premier tour avait..." is a comparison); figures with three or more candidates on a
second-round night are first-round figures; otherwise the night's round.

Round: the first mention of a round that is not a comparison ("lors du second tour", "du
premier tour", "Après les résultats du premier tour"; but not "par rapport au premier tour",
"qu'au premier tour" or "qui avait soutenu ... au premier tour"); "avant ce second tour" means
the text predates the second round: round 1. A look ahead to the second round ("qualifiés pour
le second tour", "affrontera X au second tour", "accède au second tour") states no round: a
first-round estimate naming the qualified stays the night's round. Without a mention, the
night's round for anything but news (None for news). Figures with shares for three candidates
or more on a second-round night are first-round figures when the night's second round is a duel
(a presidential election, a primary, or a night file that names no ``election``); a municipal,
regional, departmental or legislative second round of several lists keeps the night's round.
"""

from __future__ import annotations

import re
from typing import Final

from ingest.extraction.departements import fold_text
from ingest.model.night import Night
from ingest.model.update import Figures

__all__ = ["figures_round", "stated_round"]

_ROUND_MARKER: Final = re.compile(
    r"\b(?:(?P<first>premier|1er)|second|deuxieme|2e|2eme|2nd)\s+tour\b"
)
_BEFORE_SECOND_ROUND: Final = re.compile(r"\b(?:avant|en\s+vue\s+d[ue])\s+(?:le\s+|ce\s+)?$")
_COMPARISON: Final = re.compile(
    r"\b(?:rapport|qu|que|contre|depuis|comme|avai(?:t|ent)|etai(?:t|ent)|\w{4,}ai(?:en)?t)\b"
)
# A look ahead from the first round to the second: "qualifiés pour le second tour", "Marine Le
# Pen affrontera Emmanuel Macron au second tour", "accède au second tour". Not a statement
# that the text is about the second round.
_TOWARDS_SECOND_ROUND: Final = re.compile(
    r"\b(?:qualifi\w*|accede\w*|affront\w*|duel|face-a-face|presente?s?|pour|rendez-vous"
    r"|rat\w*|manqu\w*|elimin\w*|ser(?:a|ont))\b"
    r"(?:\s+\S+){0,4}?\s+(?:le|au|du)\s*$"
)
_TOWARDS_AFTER: Final = re.compile(r"\s*(?:opposera|se\s+jouera|aura\s+lieu)")
_CLAUSE_BREAK: Final = re.compile(r"[;:!?()\n]|[,.](?!\d)")  # not the comma of "27,8"


def stated_round(text: str) -> int | None:
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
        if match["first"] is None and (
            _TOWARDS_SECOND_ROUND.search(clause) or _TOWARDS_AFTER.match(folded, match.end())
        ):
            continue
        return 1 if match["first"] is not None else 2
    return None


#: The elections whose second round is a duel: three shares on their second-round night are
#: first-round figures. Any other (municipal, regional... with several lists) keeps its round.
DUELS: Final = frozenset({None, "presidential", "primary"})


def figures_round(figures: Figures, stated: int | None, night: Night) -> int:
    if night.round == 2 and len(figures.shares) >= 3 and night.election in DUELS:
        return 1
    return stated if stated is not None else night.round
