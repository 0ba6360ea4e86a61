"""One figure found in a sentence, and the words around a number that every figure rule reads.

Pure. A :class:`FigureItem` is one value a sentence states (a share, voters, a rate...) with where
it is written, before :mod:`ingest.extraction.figures` gives it a scope. :data:`APPROX` is the
words that make a value approximate ("près de", "un peu plus de", "proche de"); :data:`CONTRE`
marks the comparison point of a sentence ("contre 70,59 % en 2012").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ingest.extraction.document import Span
from ingest.extraction.french_numbers import NumberMatch, RangeMatch

__all__ = [
    "APPROX",
    "CONTRE",
    "CONTRE_BEFORE",
    "FigureItem",
    "is_approx",
    "text_after",
    "text_before",
]

APPROX: Final = (
    r"(?:un\s+peu\s+(?:plus|moins)\s+d(?:e\s+|['\u2019])"
    r"|(?:plus|moins|pr[eéè]s|proche|autour|au-delà)\s+d(?:e\s+|['\u2019])"
    r"|presque\s+|environ\s+|quelque\s+|quasiment\s+|au\s+moins\s+"
    r"|pas\s+loin\s+d(?:e\s+|['\u2019])|de\s+l['\u2019]ordre\s+d(?:e\s+|['\u2019])"
    r"|(?:dépasse|frôle)\s+(?:même\s+)?)"
)
_APPROX_BEFORE: Final = re.compile(APPROX + r"(?:les\s+)?$", re.IGNORECASE)
CONTRE: Final = re.compile(r"\bcontre\b", re.IGNORECASE)
CONTRE_BEFORE: Final = re.compile(r"\bcontre\s+" + APPROX + r"?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FigureItem:
    """One figure found in a sentence, before it is given a scope."""

    field: str
    value: int | float | str
    start: int
    end: int
    approx: bool = False
    candidate: str | None = None
    estimated: bool = False


def text_before(text: str, sentence: Span, number: NumberMatch | RangeMatch) -> str:
    """The sentence's text just before a number (80 characters at most)."""
    return text[
        max(sentence.start, sentence.start + number.start - 80) : sentence.start + number.start
    ]


def text_after(text: str, sentence: Span, number: NumberMatch | RangeMatch) -> str:
    """The sentence's text just after a number (80 characters at most)."""
    return text[sentence.start + number.end : min(sentence.end, sentence.start + number.end + 80)]


def is_approx(before: str) -> bool:
    """Whether the words just before a number make it approximate ("près de")."""
    return bool(_APPROX_BEFORE.search(before))
