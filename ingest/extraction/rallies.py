"""Rallies and calls to vote: the text declares support for a candidate, or calls to vote, to
abstain or to "faire barrage". Pure.

Support (:func:`declares_support`, read in the headline): "se dit « pleinement » derrière",
"se dit « disponible » pour aider", "se rallie", "apporte son soutien à", "rejoint le camp".
Travelling to a candidate's headquarters declares nothing.

A call (:func:`calls_to_vote`, read in the first paragraph, quoted or not): "appelle à voter
pour X", "appellent à voter", "invite ses électeurs à voter", "appelle à s'abstenir" / "à
l'abstention", "à voter blanc", "à faire barrage … en votant pour X", "appelle à faire
barrage", "je voterai pour X", "consigne de vote en faveur de X", "un appel à voter". "Faire
barrage" alone ("ont voté pour moi pour faire barrage") calls for nothing: it takes a call verb
before it or "en votant" after it.
A call denied is none: "n'appelle pas à voter", "refuse d'appeler à voter", "sans appeler à",
"aucune consigne de vote", "ne votera pas pour".
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["calls_to_vote", "declares_support"]

_SUPPORT: Final = re.compile(
    r"\bse\s+dit\s+(?:[\"«“]\s*)?[^\W\d_]+(?:\s*[\"»”])?\s+derri[èe]re\b"
    r"|\bse\s+dit\s+(?:[\"«“]\s*)?(?:prête?|disponible)(?:\s*[\"»”])?\s+(?:à|pour)\s+"
    r"(?:aider|soutenir|accompagner|rejoindre|travailler)"
    r"|\b(?:apporte|apportera|annonce|affiche|déclare|réaffirme|confirme|officialise)\s+son\s+"
    r"soutien\s+à"
    r"|\bse\s+(?:rallie|range)\b"
    r"|\b(?:rallie|rejoint)\s+(?:le\s+camp|la\s+campagne|l['\u2019]équipe|les\s+rangs)",
    re.IGNORECASE,
)
_TO_VOTE: Final = (
    r"(?:(?:aller\s+)?voter|s['\u2019]abstenir|l['\u2019]abstention|faire\s+barrage"
    r"|(?:ne\s+pas|ne\s+jamais)\s+voter|glisser\s+un\s+bulletin|se\s+mobiliser\s+pour)"
)
_CALL: Final = re.compile(
    r"\b(?:appel\w*|invit\w*|exhort\w*|encourag\w*|demand\w*)\s+(?:[^\W\d_]+(?:['\u2019]|\s+)){0,5}?"
    rf"(?:à|de)\s+{_TO_VOTE}"
    rf"|\bappels?\s+(?:[^\W\d_]+\s+){{0,2}}(?:à|au)\s+(?:{_TO_VOTE}|vote\b)"
    r"|\bfaire\s+barrage\b[^.!?\n]{0,80}?\ben\s+votant\b"
    r"|\bvoter(?:a|ai|ons|ont|ais)\s+(?:[^\W\d_]+\s+|\d+\s+){0,4}?(?:pour|blanc|nul|en\s+faveur)\b"
    r"|\bs['\u2019]abstiendr(?:a|ai|ons|ont)\b"
    r"|\bconsignes?\s+de\s+vote\s+(?:en\s+faveur|pour)\b",
    re.IGNORECASE,
)
_DENIAL_BEFORE: Final = re.compile(
    r"(?:\bn['\u2019]\s*|\bne\s+|\brefus\w*\s+d['\u2019e]\s*|\bsans\s+|\baucune?\s+|\bpas\s+d['\u2019e]\s*)"
    r"(?:[^\W\d_]+\s+){0,1}$",
    re.IGNORECASE,
)
_DENIAL_AFTER: Final = re.compile(r"^\s*(?:pas|jamais|plus|aucun)\b", re.IGNORECASE)
_VERB_END: Final = re.compile(r"^\S+")


def declares_support(headline: str) -> bool:
    """Whether the headline declares support for a candidate."""
    return _SUPPORT.search(headline) is not None


def calls_to_vote(text: str) -> bool:
    """Whether ``text`` calls to vote (for someone, blank, against), to abstain or to block, and
    does not deny it."""
    for match in _CALL.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        verb = _VERB_END.match(match.group())
        after = text[match.start() + (verb.end() if verb else 0) :]
        if _DENIAL_BEFORE.search(before) or _DENIAL_AFTER.match(after):
            continue
        return True
    return False
