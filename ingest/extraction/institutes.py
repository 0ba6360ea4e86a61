"""Which polling institute an estimate comes from: ``"Ipsos"`` for "selon l'estimation
Ipsos-Sopra Steria", ``"Elabe"`` for "d'après Elabe pour BFMTV". Pure.

An institute is known by its own name, whatever partner or client is joined to it
("Ipsos-Sopra Steria", "Ifop-Fiducial", "Kantar Sofres-OnePoint" -> ``Ipsos``, ``Ifop``,
``Kantar``); the first one a text names is its institute. A text naming none has none: a
"sondage" or "estimation" without a name, or party sources, keep ``institute`` absent.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["INSTITUTES", "institute_of"]

#: Each institute's name as kept, and the ways texts write it (a regular expression).
INSTITUTES: Final[tuple[tuple[str, str], ...]] = (
    ("Ipsos", r"Ipsos"),
    ("Ifop", r"Ifop"),
    ("Elabe", r"Elabe"),
    ("OpinionWay", r"Opinion\s*Way"),
    ("Odoxa", r"Odoxa"),
    ("BVA", r"BVA"),
    ("Harris Interactive", r"Harris\s+Interactive"),
    ("Kantar", r"(?:Kantar(?:\s+Public)?|TNS)?(?:[\s-]*Sofres)|Kantar(?:\s+Public)?"),
    ("Viavoice", r"Viavoice"),
    ("CSA", r"CSA"),
    ("YouGov", r"YouGov"),
)

_CASE_MATTERS: Final = frozenset({"BVA", "CSA"})
_PATTERN: Final = re.compile(
    "|".join(
        f"(?P<i{index}>\\b(?{'' if name in _CASE_MATTERS else 'i'}:{written})\\b)"
        for index, (name, written) in enumerate(INSTITUTES)
    )
)


def institute_of(text: str) -> str | None:
    """The first polling institute ``text`` names, as kept (``"Ipsos"``), or None.

    Case matters for the short names (``CSA``, ``BVA``): "csa" in running text is no institute.
    """
    match = _PATTERN.search(text)
    if match is None or match.lastgroup is None:
        return None
    return INSTITUTES[int(match.lastgroup[1:])][0]
