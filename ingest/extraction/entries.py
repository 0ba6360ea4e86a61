"""From a source's raw entry to an update: the one place where uids, text and extraction meet.

Pollers (liveblog, feed, results) and the replay build their updates here, so that the same
entry gives the same update whichever way it arrives: that is what lets a replay through the
emulated sources and a replay straight into the stream be compared update for update.

A poll goes parse -> diff -> extract. The parsers give *raw* entries: a :class:`TextEntry` for
free text (a liveblog entry, an article: uid, time, cleaned text), or an :class:`Update` for a
structured results checkpoint, which has nothing to extract. The diff
(:func:`ingest.sources.entry_diff.diff_entries`) compares raw entries with what was seen before
(:meth:`TextEntry.same_content`), and only the new or changed ones are extracted
(:func:`build_update`): extraction is pure and costs far more than parsing, and a poll shows
mostly what the poll before it showed. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ingest.extraction.extract import extract
from ingest.model.night import Night
from ingest.model.text_cleaning import MAX_NAME_LENGTH, clean_text
from ingest.model.update import Figures, Kind, Update, UpdateError

__all__ = [
    "SourceEntry",
    "TextEntry",
    "article_text",
    "as_shown",
    "build_update",
    "build_updates",
    "content_key",
    "entry_uid",
    "same_entry",
    "update_from_checkpoint",
    "update_from_text",
]


def entry_uid(source: str, key: str) -> str:
    """The uid of entry ``key`` of ``source``: stable across polls and edits."""
    return f"{source}:{key}"


def article_text(title: str | None, body: str) -> str:
    """An article's update text: its title (when it has one) above its body."""
    title = clean_text(title or "")
    body = clean_text(body)
    if not title or body.startswith(title):
        return body
    return f"{title}\n\n{body}" if body else title


@dataclass(frozen=True, slots=True)
class TextEntry:
    """An entry of free text as a source shows it, before extraction: what the diff compares.

    ``text`` is cleaned (:func:`ingest.model.text_cleaning.clean_text`): it is the update's text as
    it will be. Raises :class:`ingest.model.update.UpdateError` for what no update could hold (a uid
    over 200 characters, a time without a zone), as :class:`Update` would.
    """

    uid: str
    source: str
    at: datetime
    text: str
    #: No date could be read: ``at`` is when the entry was first seen (:attr:`Update.undated`).
    undated: bool = False

    def __post_init__(self) -> None:
        if not self.uid or len(self.uid) > MAX_NAME_LENGTH:
            raise UpdateError("uid: expected a non-empty string of at most 200 characters")
        if self.at.tzinfo is None:
            raise UpdateError("at must carry a time zone")

    @classmethod
    def of(
        cls, *, source: str, key: str, at: datetime, text: str, undated: bool = False
    ) -> TextEntry:
        """The raw entry ``key`` of ``source``, its text cleaned."""
        return cls(
            uid=entry_uid(source, key), source=source, at=at, text=clean_text(text), undated=undated
        )

    def same_content(self, seen: Update) -> bool:
        """Whether ``seen`` (an update built from this uid before) has this entry's content.

        Kind, speaker, figures, round and institute are extracted from the text alone (and the
        night), so an entry with the same time and text extracts to the same content.
        """
        return (
            seen.text == self.text
            and seen.source == self.source
            and seen.at.isoformat() == self.at.isoformat()
            and seen.undated == self.undated
        )

    def to_update(self, *, night: Night, seen: datetime) -> Update:
        """The update: kind and figures come from extraction over the text."""
        found = extract(self.text, night)
        return Update(
            uid=self.uid,
            at=self.at,
            source=self.source,
            kind=found.kind,
            text=self.text,
            seen=seen,
            speaker=found.speaker,
            figures=found.figures,
            round=found.round,
            more_figures=found.more_figures,
            institute=found.institute,
            undated=self.undated,
        )


#: What a parser gives for one entry: free text still to extract, or a finished update (a
#: results checkpoint, whose figures are given).
SourceEntry = TextEntry | Update


def build_update(entry: SourceEntry, *, night: Night, seen: datetime) -> Update:
    """The update of a raw entry, stamped ``seen`` (extraction for free text)."""
    if isinstance(entry, TextEntry):
        return entry.to_update(night=night, seen=seen)
    return entry if entry.seen == seen else replace(entry, seen=seen)


def build_updates(
    entries: Sequence[SourceEntry], *, night: Night, seen: datetime
) -> tuple[list[Update], list[str]]:
    """:func:`build_update` of each entry, and a problem for each one no update can hold."""
    updates: list[Update] = []
    problems: list[str] = []
    for entry in entries:
        try:
            updates.append(build_update(entry, night=night, seen=seen))
        except UpdateError as error:
            problems.append(f"entry {entry.uid!r}: {error}")
    return updates, problems


def content_key(entry: SourceEntry) -> str:
    """A digest of an entry's raw content: equal for two polls showing the same content."""
    if isinstance(entry, TextEntry):
        undated = "undated\n" if entry.undated else ""
        shown = f"{undated}{entry.at.isoformat()}\n{entry.text}".encode("utf-8", "surrogatepass")
        return hashlib.blake2b(shown, digest_size=16).hexdigest()
    return entry.content_digest()


def as_shown(seen: Update, *, text: bool) -> SourceEntry:
    """A stored update as the raw entry that gave it (``text``: the source's entries are free
    text; else they are checkpoints, already updates)."""
    if text:
        return TextEntry(
            uid=seen.uid, source=seen.source, at=seen.at, text=seen.text, undated=seen.undated
        )
    return seen


def same_entry(first: SourceEntry, second: SourceEntry) -> bool:
    """Whether two raw entries are the same entry with the same content."""
    if isinstance(first, TextEntry) or isinstance(second, TextEntry):
        return first == second
    return first.uid == second.uid and first.same_content(second)


def update_from_text(
    *,
    source: str,
    key: str,
    at: datetime,
    text: str,
    night: Night,
    seen: datetime,
) -> Update:
    """An update for a piece of free text (a liveblog entry, an article): kind and figures
    come from extraction over the cleaned text."""
    return TextEntry.of(source=source, key=key, at=at, text=text).to_update(night=night, seen=seen)


def update_from_checkpoint(
    *,
    source: str,
    key: str,
    at: datetime,
    kind: Kind,
    figures: Figures,
    text: str,
    round_: int | None,
    seen: datetime,
) -> Update:
    """An update for a structured results checkpoint: figures are given, not extracted."""
    return Update(
        uid=entry_uid(source, key),
        at=at,
        source=source,
        kind=kind,
        text=clean_text(text),
        seen=seen,
        figures=figures,
        round=round_,
    )
