"""Who leads: "X devance Y avec 58 %" gives the 58 % to X, not to Y (the nearer name). Pure.

A sentence that ranks two candidates (X devance, précède, distance, bat Y; X l'emporte sur Y;
X arrive (en tête) devant Y; X s'impose face à Y; with "largement", "nettement", "de peu") and
then gives a share ("avec N %") states the share of the first, the subject; a share "contre
N %" right after it is the second's. Figures (:mod:`ingest.extraction.share_owners`) give a
share to the candidate named nearest before it, which in this construction is the second: this
module puts such a share back where the sentence says, and changes nothing else.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Final

from ingest.extraction.document import Document, Mention
from ingest.model.update import Figures

__all__ = ["with_leader_shares"]

_RANKS: Final = re.compile(
    r"\s+(?:devance|précède|distance|bat|l['\u2019]emporte\s+sur|s['\u2019]impose\s+face\s+à"
    r"|arrive\s+(?:en\s+tête\s+)?devant)"
    r"(?:\s+(?:largement|nettement|de\s+peu))?\s+$",
    re.IGNORECASE,
)
_STATED: Final = re.compile(
    r"\s*,?\s*avec\s+(?P<first>\d{1,3}(?:[,.]\d{1,2})?)\s*%"
    r"(?:\s+des\s+(?:voix|suffrages(?:\s+exprimés)?))?"
    r"(?:\s*,?\s*contre\s+(?P<second>\d{1,3}(?:[,.]\d{1,2})?)\s*%)?",
    re.IGNORECASE,
)


def _pct(written: str | None) -> float | None:
    if written is None:
        return None
    value = float(written.replace(",", "."))
    return value if 0 <= value <= 100 else None


def _pairs(document: Document) -> list[tuple[Mention, Mention, float, float | None]]:
    text = document.text
    found: list[tuple[Mention, Mention, float, float | None]] = []
    for first, second in zip(document.mentions, document.mentions[1:], strict=False):
        if first.name == second.name or not _RANKS.fullmatch(text, first.end, second.start):
            continue
        stated = _STATED.match(text, second.end)
        if stated is None:
            continue
        leader = _pct(stated["first"])
        if leader is not None:
            found.append((first, second, leader, _pct(stated["second"])))
    return found


def with_leader_shares(document: Document, figures: Figures | None) -> Figures | None:
    """``figures`` with the shares of "X devance Y avec N %" given to X (module doc)."""
    if figures is None or not figures.shares:
        return figures
    shares = dict(figures.shares)
    for leader, follower, leader_pct, follower_pct in _pairs(document):
        if shares.get(follower.name) != leader_pct or shares.get(leader.name) == leader_pct:
            continue
        shares[leader.name] = leader_pct
        if follower_pct is not None:
            shares[follower.name] = follower_pct
        else:
            del shares[follower.name]
    if shares == dict(figures.shares):
        return figures
    return replace(figures, shares=shares)
