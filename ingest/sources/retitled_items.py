"""Entries that changed their key but not their identity: the same entry, not a new one. Pure.

**Same content** (:func:`follow_same_content`, every source of free text): a page whose CMS
renders new element ids on every request (``id="post-<render>-<n>"``) shows the same entries
under new keys each poll: an ``add`` and a ``delete`` per entry per poll, and new entries are
never held by a source's budget (:mod:`ingest.sources.flapping`), so the stream would grow
without end. An entry of a new uid whose content (time and text) is that of exactly one entry
the poll lost (and the other way round) is that entry: it keeps the old uid.

**Retitled feed items** (:func:`follow_retitled`):

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
from ingest.sources.entry_diff import SeenEntry

__all__ = ["follow_identities", "follow_retitled", "follow_same_content", "is_derived_uid"]

# The keys derived_key gives, with their -2, -3... (a guid of exactly this form is not expected).
_DERIVED: Final = re.compile(r"(?:[tb]-[0-9a-f]{16}|d-\d{8}T\d{6})(?:-\d+)?")


def is_derived_uid(uid: str, source: str) -> bool:
    """Whether ``uid`` of ``source`` has a derived key (the item had neither guid nor link)."""
    prefix = f"{source}:"
    return uid.startswith(prefix) and _DERIVED.fullmatch(uid[len(prefix) :]) is not None


def follow_identities(
    entries: Sequence[SourceEntry], previous: Mapping[str, SeenEntry], *, feed: bool
) -> list[SourceEntry]:
    """:func:`follow_same_content`, then (``feed``) :func:`follow_retitled`; ``entries`` as
    they are when none is of a uid ``previous`` (the source's state) does not hold."""
    if all(entry.uid in previous for entry in entries):
        return list(entries)
    followed = follow_same_content(entries, previous)
    return follow_retitled(followed, previous) if feed else followed


def follow_retitled(
    entries: Sequence[SourceEntry], previous: Mapping[str, SeenEntry]
) -> list[SourceEntry]:
    """``entries``, an item of a new derived key taking the uid of the one it replaces."""
    shown = {entry.uid for entry in entries}
    fresh: dict[datetime, list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        if (
            isinstance(entry, TextEntry)
            and not entry.undated
            and entry.uid not in previous
            and is_derived_uid(entry.uid, entry.source)
        ):
            fresh[entry.at].append(index)
    if not fresh:
        return list(entries)
    gone: dict[datetime, list[str]] = defaultdict(list)
    for uid, seen in previous.items():
        if not seen.deleted and uid not in shown and seen.update.at in fresh:
            gone[seen.update.at].append(uid)
    followed = list(entries)
    for at, indexes in fresh.items():
        lost = gone.get(at, [])
        if len(indexes) == 1 and len(lost) == 1:
            (index,) = indexes
            if is_derived_uid(lost[0], followed[index].source):
                followed[index] = replace(followed[index], uid=lost[0])
    return followed


def follow_same_content(
    entries: Sequence[SourceEntry], previous: Mapping[str, SeenEntry]
) -> list[SourceEntry]:
    """``entries``, an entry of a new uid taking the uid of the lost entry of its content
    (time and text). A content shared by several new entries, or several lost ones, pairs
    nothing."""
    shown = {entry.uid for entry in entries}
    fresh: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        if isinstance(entry, TextEntry) and entry.uid not in previous:
            fresh[(entry.at.isoformat(), entry.text)].append(index)
    if not fresh:
        return list(entries)
    gone: dict[tuple[str, str], list[str]] = defaultdict(list)
    for uid, seen in previous.items():
        if seen.deleted or uid in shown:
            continue
        content = (seen.update.at.isoformat(), seen.update.text)
        if content in fresh:
            gone[content].append(uid)
    followed = list(entries)
    for content, indexes in fresh.items():
        lost = gone.get(content, [])
        if len(indexes) == 1 and len(lost) == 1:
            followed[indexes[0]] = replace(followed[indexes[0]], uid=lost[0])
    return followed
