"""What changed on a source since the last poll: new or edited entries, and deleted ones. Pure.

A poller keeps, per source, what it last saw of each entry (:class:`SeenEntry`: the update's
JSON, kept in Redis at :func:`ingest.store.keys.entries_key`). :func:`diff_entries` compares that
with the raw entries a poll found (:mod:`ingest.extraction.entries`: free text not extracted yet, or
a results checkpoint), so that only what is new or changed is extracted afterwards:

- an entry never seen, seen with other content, or seen deleted and back again is *new or
  changed* (the stream store then decides ``add`` or ``edit``, atomically);
- a known, live entry missing from the poll is *deleted* only if it is newer than the oldest
  entry the poll still shows (its ``at`` is later), pinned entries left out
  (:mod:`ingest.sources.page_order`: an intro dated 07:00 pinned on top is no floor). A page that
  shows the latest N entries lets its oldest ones fall off the end as new ones arrive: those are not
  deletions. An entry gone from the middle of what the page still covers is. A poll that found
  no entry at all (or only pinned ones) deletes nothing (an empty page is far more often a
  broken page than an empty liveblog).
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Generic, Protocol, TypeVar

from ingest.model.update import Op, Update

__all__ = [
    "EVERY_ENTRY",
    "Diff",
    "SeenEntry",
    "ShownEntry",
    "changed_updates",
    "diff_entries",
    "oldest_shown",
]


class ShownEntry(Protocol):
    """An entry as a poll shows it: a raw entry (:data:`ingest.extraction.entries.SourceEntry`), an
    update."""

    @property
    def uid(self) -> str:
        """The entry's uid (``source:key``)."""

    @property
    def at(self) -> datetime:
        """The time the entry refers to."""

    def same_content(self, seen: Update, /) -> bool:
        """Whether ``seen``, the entry's last known update, has the content shown now."""


E = TypeVar("E", bound=ShownEntry)
F = TypeVar("F", bound=ShownEntry)


class _Every:
    """The container of every uid."""

    def __contains__(self, item: object) -> bool:
        return True


#: ``recheck`` for :func:`diff_entries` that offers every entry shown (a poller's first poll:
#: the state may come from another process, with another night or another extraction).
EVERY_ENTRY: Final[Container[str]] = _Every()


@dataclass(frozen=True, slots=True)
class SeenEntry:
    """The last known state of one entry: its last content, and whether it was deleted."""

    update: Update

    @property
    def deleted(self) -> bool:
        """Whether the last thing appended for this entry was its deletion."""
        return self.update.op is Op.DELETE

    @property
    def digest(self) -> str:
        """The digest of the entry's last content."""
        return self.update.content_digest()

    def to_json_text(self) -> str:
        """The stored form: the update's JSON (``to_json``), compact."""
        return self.update.to_json_text()

    @classmethod
    def from_json_text(cls, raw: str | bytes) -> SeenEntry:
        """Read the stored form back (raises :class:`ingest.model.update.UpdateError` if
        invalid)."""
        return cls(Update.from_json_text(raw))

    @classmethod
    def of(cls, update: Update) -> SeenEntry:
        """The state to remember after ``update`` went to the stream."""
        return cls(update)


@dataclass(frozen=True, slots=True)
class Diff(Generic[E]):
    """What to append after a poll: new or changed entries, then the deleted ones.

    ``new_or_changed`` holds entries as the poll showed them (raw entries straight from the
    diff, updates once extracted); ``deleted`` each deleted entry's last known update (its
    content goes with the delete).
    """

    new_or_changed: tuple[E, ...]
    deleted: tuple[Update, ...]

    @property
    def empty(self) -> bool:
        """Whether the poll changed nothing."""
        return not self.new_or_changed and not self.deleted

    def only(self, uids: Container[str]) -> Diff[E]:
        """The changes of ``uids`` alone (the others wait for a later poll)."""
        return Diff(
            new_or_changed=tuple(entry for entry in self.new_or_changed if entry.uid in uids),
            deleted=tuple(update for update in self.deleted if update.uid in uids),
        )

    def with_changes(self, new_or_changed: Sequence[F]) -> Diff[F]:
        """The same deletes with ``new_or_changed`` (e.g. the entries once extracted)."""
        return Diff(new_or_changed=tuple(new_or_changed), deleted=self.deleted)


def oldest_shown(
    current: Sequence[ShownEntry], *, pinned: Container[str] = frozenset()
) -> datetime | None:
    """The ``at`` of the oldest entry a poll shows, pinned ones left out (None if none)."""
    return min((entry.at for entry in current if entry.uid not in pinned), default=None)


def diff_entries(
    previous: Mapping[str, SeenEntry],
    current: Sequence[E],
    *,
    recheck: Container[str] = frozenset(),
    pinned: Container[str] = frozenset(),
) -> Diff[E]:
    """Compare what was seen (uid -> :class:`SeenEntry`) with the entries a poll found.

    ``current`` keeps its order in ``new_or_changed``; a uid found twice counts once (the first).
    ``deleted`` is ordered oldest first. A live entry whose uid is in ``recheck`` is offered
    even if its raw content is the one seen (to extract it again: the caller then keeps it only
    if the update differs, :func:`changed_updates`). ``pinned`` entries do not count in the
    floor of the delete rule.
    """
    found: dict[str, E] = {}
    for entry in current:
        found.setdefault(entry.uid, entry)
    new_or_changed = tuple(
        entry
        for uid, entry in found.items()
        if (seen := previous.get(uid)) is None
        or seen.deleted
        or uid in recheck
        or not entry.same_content(seen.update)
    )
    floor = oldest_shown(list(found.values()), pinned=pinned)
    deleted: list[Update] = []
    if floor is not None:
        deleted = [
            seen.update
            for uid, seen in previous.items()
            if uid not in found and not seen.deleted and seen.update.at > floor
        ]
        deleted.sort(key=lambda update: update.at)
    return Diff(new_or_changed=new_or_changed, deleted=tuple(deleted))


def changed_updates(previous: Mapping[str, SeenEntry], updates: Sequence[Update]) -> list[Update]:
    """``updates`` less those whose content is already the last seen of their uid (live)."""
    return [
        update
        for update in updates
        if (seen := previous.get(update.uid)) is None
        or seen.deleted
        or seen.digest != update.content_digest()
    ]
