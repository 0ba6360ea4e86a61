"""What changed on a source since the last poll: new or edited entries, and deleted ones. Pure.

A poller keeps, per source, what it last saw of each entry (:class:`SeenEntry`: the update's
JSON, kept in Redis at :func:`ingest.store.keys.entries_key`). :func:`diff_entries` compares that
with the entries a poll found:

- an entry never seen, seen with other content, or seen deleted and back again is *new or
  changed* (the stream store then decides ``add`` or ``edit``, atomically);
- a known, live entry missing from the poll is *deleted* only if it is newer than the oldest
  entry the poll still shows (its ``at`` is later). A page that shows the latest N entries
  lets its oldest ones fall off the end as new ones arrive: those are not deletions. An entry
  gone from the middle of what the page still covers is. A poll that found no entry at all
  deletes nothing (an empty page is far more often a broken page than an empty liveblog).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ingest.model.update import Op, Update

__all__ = ["Diff", "SeenEntry", "diff_entries", "oldest_shown"]


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
class Diff:
    """What to append after a poll: new or changed entries, then the deleted ones.

    ``deleted`` holds each deleted entry's last known update (its content goes with the delete).
    """

    new_or_changed: tuple[Update, ...]
    deleted: tuple[Update, ...]

    @property
    def empty(self) -> bool:
        """Whether the poll changed nothing."""
        return not self.new_or_changed and not self.deleted


def oldest_shown(current: Sequence[Update]) -> datetime | None:
    """The ``at`` of the oldest entry a poll shows (None for an empty poll)."""
    return min((update.at for update in current), default=None)


def diff_entries(previous: Mapping[str, SeenEntry], current: Sequence[Update]) -> Diff:
    """Compare what was seen (uid -> :class:`SeenEntry`) with the entries a poll found.

    ``current`` keeps its order in ``new_or_changed``; a uid found twice counts once (the first).
    ``deleted`` is ordered oldest first.
    """
    found: dict[str, Update] = {}
    for update in current:
        found.setdefault(update.uid, update)
    new_or_changed = tuple(
        update
        for uid, update in found.items()
        if (seen := previous.get(uid)) is None
        or seen.deleted
        or seen.digest != update.content_digest()
    )
    floor = oldest_shown(list(found.values()))
    deleted: list[Update] = []
    if floor is not None:
        deleted = [
            seen.update
            for uid, seen in previous.items()
            if uid not in found and not seen.deleted and seen.update.at > floor
        ]
        deleted.sort(key=lambda update: update.at)
    return Diff(new_or_changed=new_or_changed, deleted=tuple(deleted))
