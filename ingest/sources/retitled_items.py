"""A feed item without guid or link that changed its derived key: the same item, edited. Pure.

A feed item without a ``guid`` or a link is keyed by what it shows
(:func:`ingest.sources.feed_parser.derived_key`: a digest of its title, else its date, else a
digest of its text). An edit of its title gives it another key: taken at its word, a new item
(an ``add``) beside the old one (kept, or deleted by the delete rule). But the poll shows what
happened: an item of a new derived key appeared, and an item of another derived key at the same
publication date is gone. :func:`follow_retitled` gives the new one the old one's uid, so the
diff sees an ``edit``. Only when that is unambiguous: exactly one new and one gone item of
derived keys at that date; two items of one date that both change in one poll stay an add and a
delete (or a kept old version). Undated items (dated when first seen) are never paired: their
date says nothing of them. The state remembers the old uid, so each later poll pairs them again.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Final

from ingest.extraction.entries import SourceEntry, TextEntry

__all__ = ["follow_retitled", "is_derived_uid"]

# The keys derived_key gives, with their -2, -3... (a guid of exactly this form is not expected).
_DERIVED: Final = re.compile(r"(?:[tb]-[0-9a-f]{16}|d-\d{8}T\d{6})(?:-\d+)?")


def is_derived_uid(uid: str, source: str) -> bool:
    """Whether ``uid`` of ``source`` has a derived key (the item had neither guid nor link)."""
    prefix = f"{source}:"
    return uid.startswith(prefix) and _DERIVED.fullmatch(uid[len(prefix) :]) is not None


def follow_retitled(
    entries: Sequence[SourceEntry], known: Mapping[str, tuple[datetime, bool]]
) -> list[SourceEntry]:
    """``entries``, an item of a new derived key taking the uid of the one it replaces.

    ``known`` maps each uid the source's state holds to (its ``at``, whether it is deleted).
    """
    shown = {entry.uid for entry in entries}
    fresh: dict[datetime, list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        if (
            isinstance(entry, TextEntry)
            and not entry.undated
            and entry.uid not in known
            and is_derived_uid(entry.uid, entry.source)
        ):
            fresh[entry.at].append(index)
    if not fresh:
        return list(entries)
    gone: dict[datetime, list[str]] = defaultdict(list)
    for uid, (at, deleted) in known.items():
        if not deleted and uid not in shown and at in fresh:
            gone[at].append(uid)
    followed = list(entries)
    for at, indexes in fresh.items():
        lost = gone.get(at, [])
        if len(indexes) == 1 and len(lost) == 1:
            (index,) = indexes
            source = followed[index].source
            if is_derived_uid(lost[0], source):
                followed[index] = replace(followed[index], uid=lost[0])
    return followed
