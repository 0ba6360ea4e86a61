"""What a parser leaves out of a document: one message per item, and counts by reason. Pure.

Every parser reads what it can and leaves out the items it cannot make an entry of, rather than
failing the whole document. :class:`SkippedItems` gathers both forms of that: the messages
(``problems``, for the source's ``last_warning``) and the count per :class:`SkipReason` (the
health's ``skipped``, and ``soiree_source_skipped_items{source,reason}`` on ``/metrics``).
A problem of the whole document (a malformed feed, another night's results) is a message only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["SkipReason", "SkippedItems"]


class SkipReason(StrEnum):
    """Why an item of a document was left out."""

    NO_KEY = "no_key"  # nothing to identify it by (no guid, link, title or text)
    NO_DATE = "no_date"  # no time it could read
    NO_TEXT = "no_text"  # nothing to show
    DUPLICATE_KEY = "duplicate_key"  # its key is another item's (the first is kept)
    INVALID = "invalid"  # a value no update can hold (a bad checkpoint, a uid too long)


@dataclass(slots=True)
class SkippedItems:
    """The items a parse left out so far: messages in document order, counts by reason."""

    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {r.value: 0 for r in SkipReason})

    def skip(self, reason: SkipReason, message: str) -> None:
        """Leave one item out, for ``reason``."""
        self.problems.append(message)
        self.counts[reason.value] += 1

    def note(self, message: str) -> None:
        """A problem of the whole document, not of one item."""
        self.problems.append(message)
