"""What an update's text says that the board rule reads: the polling institute an estimate
names, whether a count is the final result, whether a milestone closes the polls. Pure.
"""

from __future__ import annotations

import re
from typing import Final

from ingest.model.update import Kind, Update

__all__ = ["CLOSE_PATTERN", "institute_of", "is_final_count"]

_INSTITUTES: Final = (
    "OpinionWay",
    "Ifop",
    "Ipsos",
    "Elabe",
    "Harris Interactive",
    "BVA",
    "Odoxa",
    "Kantar",
    "TNS Sofres",
    "Viavoice",
    "CSA",
)
_INSTITUTE_PATTERN: Final = re.compile(
    r"\b(" + "|".join(re.escape(name) for name in _INSTITUTES) + r")\b", re.IGNORECASE
)
_FINAL_PATTERN: Final = re.compile(
    r"r[ée]sultats?\s+(?:national|final|finaux|d[ée]finitif|officiel)"
    r"|(?:quasi[\s-]?)?d[ée]finitifs?\b",
    re.IGNORECASE,
)
CLOSE_PATTERN: Final = re.compile(r"\bferm|\bcl[ôo]tur", re.IGNORECASE)


def institute_of(text: str) -> str | None:
    """The polling institute an estimate's text names (``"OpinionWay"``), or None."""
    match = _INSTITUTE_PATTERN.search(text)
    if match is None:
        return None
    found = match.group(1).casefold()
    return next(name for name in _INSTITUTES if name.casefold() == found)


def is_final_count(update: Update) -> bool:
    """Whether a count is the final result: all counted, or its text says so."""
    figures = update.figures
    if figures is None or update.kind is not Kind.COUNT:
        return False
    if figures.counted_pct is not None:
        return figures.counted_pct >= 100
    return _FINAL_PATTERN.search(update.text) is not None
