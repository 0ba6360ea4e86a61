"""Which candidate each vote share of a sentence belongs to. Pure.

Rules (:func:`pair_shares`): a share goes to the candidate written next to it (``Valls 41.35%``,
``Manuel Valls (31,48%)``), then to the one it is given for (``41,28% pour Manuel Valls``,
``32,3 % à Manuel Valls``), then to the nearest name before it since the previous share
(``Benoît Hamon est arrivé en tête avec 38,18 %``, ``est crédité de 58 %``, ``réalise un score de
58 %``); the first share of a sentence that names nobody before it goes to the candidate last
named in the paragraph (``Le député des Yvelines remporte le deuxième tour avec 58,72%`` after a
sentence about Benoit Hamon), or, when the paragraph opens on a pronoun ("Dans le Morbihan, il
recueille 71,2 %"), to the subject of the paragraph before. A candidate keeps the first share
given to them.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Final

from ingest.extraction.document import Document, Mention, Span
from ingest.extraction.figure_items import APPROX, text_after, text_before
from ingest.extraction.french_numbers import NumberMatch
from ingest.extraction.results import NAME_GAP

__all__ = ["MAX_SUBJECT_LOOKBACK", "pair_shares"]

_SHARE_CUE_BEFORE: Final = re.compile(
    r"\b(?:avec|obtient|obtenu|obtiendrait|recueill\w*|réuni\w*|rallie|remporte|emporte"
    r"|score(?:\s+de)?|contre|à|soit|crédité\w*(?:\s+de)?|obtiennent|fai[ts])\s+"
    + APPROX
    + r"?(?:les\s+)?$"
    r"|\b(?:voix|suffrages)\s*\(\s*$",
    re.IGNORECASE,
)
_SHARE_CUE_AFTER: Final = re.compile(
    r"\s*(?:des\s+(?:voix|suffrages|votes|exprimés)|d['\u2019]intentions?)", re.IGNORECASE
)
_NAME_BEFORE_SHARE: Final = NAME_GAP
_NAME_AFTER_SHARE: Final = re.compile(
    r"\s*(?:des\s+(?:voix|suffrages|votes)(?:\s+exprim\w+)?\s*)?,?\s*"
    r"(?:pour|à|au\s+profit\s+d(?:e\s+|['\u2019])|en\s+faveur\s+d(?:e\s+|['\u2019]))\s*"
    r"(?:[^\s,.;:()%0-9]+\s+){0,3}",
    re.IGNORECASE,
)
# A sentence whose subject is a pronoun: "il obtient", "elle recueille", "il l'emporte".
_PRONOUN_SUBJECT: Final = re.compile(r"(?:^|,\s*)(?:il|elle)\s+(?!y\b)", re.IGNORECASE)
# How far back in a paragraph the subject of a sentence is looked for, in mentions.
MAX_SUBJECT_LOOKBACK: Final = 50


def _has_share_cue(before: str, after: str) -> bool:
    return bool(_SHARE_CUE_BEFORE.search(before) or _SHARE_CUE_AFTER.match(after))


@dataclass(frozen=True, slots=True)
class _Names:
    """The candidate mentions of one sentence, with their starts and ends for bisection."""

    mentions: list[Mention]
    starts: list[int]
    ends: list[int]

    @classmethod
    def of(cls, mentions: list[Mention]) -> _Names:
        """Index a sentence's mentions (sorted, never overlapping)."""
        return cls(mentions, [m.start for m in mentions], [m.end for m in mentions])

    def next_to(self, text: str, start: int) -> int | None:
        """Index of the name written just before ``start``: ``Valls 41.35%``, ``Valls (31%)``."""
        index = bisect_right(self.ends, start) - 1
        if index >= 0 and _NAME_BEFORE_SHARE.fullmatch(text, self.ends[index], start):
            return index
        return None

    def given(self, text: str, end: int) -> int | None:
        """Index of the name a share ending at ``end`` is given for: ``41% pour Manuel Valls``."""
        index = bisect_left(self.starts, end)
        if index < len(self.starts) and _NAME_AFTER_SHARE.fullmatch(text, end, self.starts[index]):
            return index
        return None

    def before(self, floor: int, start: int, used: set[int]) -> int | None:
        """Index of the nearest unused name in ``[floor, start)``."""
        index = bisect_right(self.ends, start) - 1
        while index >= 0 and self.starts[index] >= floor:
            if index not in used:
                return index
            index -= 1
        return None


def _recent_name(
    document: Document, paragraph: Span, sentence: Span, taken: set[str]
) -> str | None:
    """The candidate last named in the paragraph before this sentence, not yet given a share."""
    index = bisect_left(document.mention_starts, sentence.start) - 1
    lowest = max(-1, index - MAX_SUBJECT_LOOKBACK)
    if sentence.start == paragraph.start and _PRONOUN_SUBJECT.search(
        document.text, sentence.start, sentence.end
    ):
        return _subject_before(document, paragraph, taken)
    while index > lowest and document.mentions[index].start >= paragraph.start:
        if document.mentions[index].name not in taken:
            return document.mentions[index].name
        index -= 1
    return None


def _subject_before(document: Document, paragraph: Span, taken: set[str]) -> str | None:
    """A pronoun opening a paragraph ("Dans le Morbihan, il recueille 71,2 %") stands for the
    subject of the paragraph before, the first candidate it names (not "Marine Le Pen" of "...
    contre 24,6 % pour Marine Le Pen")."""
    position = bisect_left([p.start for p in document.paragraphs], paragraph.start)
    if position == 0:
        return None
    before = document.paragraphs[position - 1]
    named = document.mentions_in(before.start, before.end)
    return next((mention.name for mention in named if mention.name not in taken), None)


def pair_shares(
    document: Document, paragraph: Span, sentence: Span, shares: list[NumberMatch]
) -> dict[int, str]:
    """Which candidate each share (by index) belongs to; unattributed shares are left out."""
    text, base = document.text, sentence.start
    names = _Names.of(document.mentions_in(sentence.start, sentence.end))
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for position, share in enumerate(shares):
        index = names.next_to(text, base + share.start)
        if index is None:
            index = names.given(text, base + share.end)
        if index is not None and index not in used:
            pairs[position] = index
            used.add(index)
    for position, share in enumerate(shares):
        if position in pairs:
            continue
        floor = base + shares[position - 1].end if position else base
        before, after = text_before(text, sentence, share), text_after(text, sentence, share)
        index = names.before(floor, base + share.start, used)
        if index is not None and _has_share_cue(before, after):
            pairs[position] = index
            used.add(index)
    attributed = {position: names.mentions[index].name for position, index in pairs.items()}
    if shares and 0 not in attributed:
        share = shares[0]
        cued = _has_share_cue(text_before(text, sentence, share), text_after(text, sentence, share))
        subject = _recent_name(document, paragraph, sentence, set(attributed.values()))
        unnamed = not names.starts or names.starts[0] >= base + share.start
        if cued and unnamed and subject is not None:
            attributed[0] = subject
    return _first_share_per_candidate(attributed)


def _first_share_per_candidate(attributed: dict[int, str]) -> dict[int, str]:
    seen: set[str] = set()
    kept: dict[int, str] = {}
    for position in sorted(attributed):
        name = attributed[position]
        if name not in seen:
            seen.add(name)
            kept[position] = name
    return kept
