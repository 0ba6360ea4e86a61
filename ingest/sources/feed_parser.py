"""An RSS or Atom feed's bytes to raw entries, through feedparser. Pure: no I/O.

Each item becomes one entry, extracted later if new or changed (``docs/sources.md``, "Feed").
Its key is the ``guid`` (Atom ``id``), else its link, else :func:`derived_key` (a digest of
its title; else its date; else a digest of its text), numbered ``-2``, ``-3``... from the
oldest when several items share one (:func:`number_derived_keys`). ``at`` is its ``pubDate`` /
``published`` (else ``updated``) in the night's time zone, a date written without an offset
being a wall time of that zone (:func:`item_instant`); an item without a date is dated when the
poller first saw it (:attr:`FeedPage.undated`, :func:`keep_first_seen`). The text is the title
above the body (:func:`ingest.extraction.entries.article_text`), the body being the ``content``
(else the ``description``) as plain text: HTML always goes through the HTML reader. A malformed feed
still gives its good items: feedparser's lenient parser reads what it can, and an item without
text, or one that fails, is left out, reported in :attr:`FeedPage.problems` and counted in
:attr:`FeedPage.skipped`, rather than failing the whole feed.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import struct_time
from typing import Any, Final

import feedparser

from ingest.extraction.entries import SourceEntry, TextEntry, article_text, build_update
from ingest.model.errors import SoireeError
from ingest.model.instants import local_instant
from ingest.model.night import Night
from ingest.model.text_cleaning import clean_text
from ingest.model.update import Update, UpdateError
from ingest.sources.escaped_markup import holds_markup, text_without_markup
from ingest.sources.french_dates import parse_french_date
from ingest.sources.skipped_items import SkippedItems, SkipReason

__all__ = [
    "FeedPage",
    "FeedParseError",
    "derived_key",
    "explicit_key",
    "item_instant",
    "keep_first_seen",
    "number_derived_keys",
    "parse_feed",
]

# A key longer than this (a long permalink used as guid) is replaced by its digest, so that the
# uid stays within the update's 200 characters whatever the source name.
MAX_KEY_LENGTH: Final = 120
_HTML_TYPES: Final = ("text/html", "application/xhtml+xml")
# Something a browser would take for a tag: "<img", "</p", "<!--".
_TAG: Final = re.compile(r"<[A-Za-z/!]")
# A time followed by an offset or a zone feedparser knows: "20:00:00 +0100", "20:00Z", "GMT".
_ZONED: Final = re.compile(
    r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[+-]\d{2}(?::?\d{2})?|Z|UTC?|GMT|[ECMP][SD]T)\s*$",
    re.IGNORECASE,
)


class FeedParseError(SoireeError, ValueError):
    """The bytes are not a feed at all (nothing feedparser can read an item from)."""


@dataclass(frozen=True, slots=True)
class FeedPage:
    """The entries of one feed document (not extracted yet), and what was wrong with the items
    left out. ``night`` and ``seen`` are the parse's, for :attr:`updates`."""

    entries: list[TextEntry]
    night: Night
    seen: datetime
    problems: list[str] = field(default_factory=list)
    #: Items left out, by :class:`ingest.sources.skipped_items.SkipReason`.
    skipped: dict[str, int] = field(default_factory=dict)
    #: uids of the items without a date, dated when this poll saw them.
    undated: frozenset[str] = frozenset()

    @property
    def updates(self) -> list[Update]:
        """Every entry as an update, extracted (what a first poll of the feed appends)."""
        return [build_update(entry, night=self.night, seen=self.seen) for entry in self.entries]


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def _bounded(key: str) -> str:
    key = clean_text(key, max_length=10_000).replace("\n", " ")
    return key if len(key) <= MAX_KEY_LENGTH else f"h-{_digest(key)}"


def explicit_key(item: Mapping[str, Any]) -> str | None:
    """The item's own identity: its guid / id, else its link (None when it has neither)."""
    for name in ("id", "link"):
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return _bounded(value.strip())
    return None


def derived_key(*, title: str, body: str, dated: datetime | None) -> str:
    """The identity of an item without guid or link, before its ``-2``, ``-3``... suffix.

    A digest of its title; without a title, its publication date (so that an edit of its text
    stays the same entry); without either, a digest of its text.
    """
    if title:
        return f"t-{_digest(title)}"
    if dated is not None:
        return f"d-{dated.astimezone(UTC):%Y%m%dT%H%M%S}"
    return f"b-{_digest(body)}"


def number_derived_keys(keys: Sequence[str], ages: Sequence[tuple[datetime, int]]) -> list[str]:
    """``-2``, ``-3``... on the 2nd, 3rd item of one derived key, counted from the oldest.

    ``ages`` are each item's (``at``, position from the end of the document): the oldest is the
    earliest, and among items of one instant the lowest in the document (feeds put the newest on
    top), so that a new item at the top never renumbers those below it.
    """
    numbered = list(keys)
    seen: dict[str, int] = {}
    for index in sorted(range(len(keys)), key=lambda i: ages[i]):
        seen[keys[index]] = seen.get(keys[index], 0) + 1
        if seen[keys[index]] > 1:
            numbered[index] = f"{keys[index]}-{seen[keys[index]]}"
    return numbered


def _text_of(detail: object, fallback: object) -> str:
    """A feedparser text construct as plain text (HTML ones through the HTML reader).

    A value without its detail (feedparser copies an item's ``content`` into ``summary`` without
    a ``summary_detail``) has no declared type: it is read as HTML too, so that markup never
    reaches an update's text (plain text reads the same either way, ``a < b`` included). So is
    a value typed plain that holds a tag (feedparser types a CDATA title plain, whatever it
    holds).
    """
    if isinstance(detail, Mapping):
        value = detail.get("value")
        if isinstance(value, str):
            if detail.get("type") in _HTML_TYPES or _TAG.search(value) or holds_markup(value):
                return text_without_markup(value)
            return clean_text(value)
    return text_without_markup(fallback) if isinstance(fallback, str) else ""


def _body_of(item: Mapping[str, Any]) -> str:
    contents = item.get("content")
    if isinstance(contents, list):
        texts = [_text_of(content, None) for content in contents]
        texts = [text for text in texts if text]
        if texts:
            return texts[0]
    return _text_of(item.get("summary_detail"), item.get("summary"))


def _zoned(raw: object) -> bool:
    """Whether a date as written names its offset or a zone feedparser knows."""
    return isinstance(raw, str) and _ZONED.search(raw) is not None


def item_instant(item: Mapping[str, Any], night: Night) -> datetime | None:
    """The item's publication (else update, else creation) instant, in the night's zone.

    A date written with an offset (``+0100``, ``Z``, ``GMT``) is that instant; one without (or
    with a zone name feedparser does not know, ``CET``) is a wall time of the night's zone, not
    UTC as feedparser assumes. None when no date can be read: a date out of the range read
    (:func:`ingest.model.instants.local_instant`: before 1970, from 2200) is none either.
    """
    for name in ("published", "updated", "created"):
        try:
            written = _written_instant(item, name, night)
            if written is not None:
                return local_instant(written, night.timezone, field_name=name)
        except (UpdateError, ValueError, OverflowError):
            continue
    return None


def _written_instant(item: Mapping[str, Any], name: str, night: Night) -> datetime | None:
    """The date of field ``name`` as written (an offset, else the night's zone), or None."""
    # dict.get, not FeedParserDict.get: the latter maps a missing ``updated_parsed`` to
    # ``published_parsed`` with a DeprecationWarning (feedparser issue 310).
    value = dict.get(item, f"{name}_parsed") if isinstance(item, dict) else None
    raw = dict.get(item, name) if isinstance(item, dict) else None
    if isinstance(value, struct_time):
        if _zoned(raw) or not isinstance(raw, str):
            # feedparser normalises every date it parsed to UTC.
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
        return datetime(*value[:6], tzinfo=night.timezone)
    if isinstance(raw, str) and raw.strip():
        # feedparser reads no RFC 822 date without a zone ("Sun, 29 Jan 2017 20:00:00").
        try:
            written = parsedate_to_datetime(raw.strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            # Nor any reader of RFC 822 or ISO 8601 a date in French words.
            return parse_french_date(raw, night.timezone)
        return written.replace(tzinfo=night.timezone) if written.tzinfo is None else written
    return None


@dataclass(frozen=True, slots=True)
class _Item:
    """An item read, before its key is numbered: where it was, what it says, when."""

    index: int
    explicit: str | None
    derived: str
    at: datetime
    dated: bool
    text: str


def _read_item(item: Mapping[str, Any], index: int, night: Night, seen: datetime) -> _Item | str:
    """One item, or why it is left out."""
    title = _text_of(item.get("title_detail"), item.get("title"))
    body = _body_of(item)
    explicit = explicit_key(item)
    text = article_text(title or None, body)
    if not text:
        return f"item {explicit or index + 1!r}: no text"
    at = item_instant(item, night)
    derived = derived_key(title=title, body=body, dated=at)
    return _Item(
        index=index,
        explicit=explicit,
        derived=derived,
        at=seen.astimezone(night.timezone) if at is None else at,
        dated=at is not None,
        text=text,
    )


def parse_feed(
    data: bytes,
    *,
    source: str,
    night: Night,
    seen: datetime,
    content_type: str | None = None,
) -> FeedPage:
    """Parse a feed document into its entries, in the document's order.

    ``content_type`` is the response's header (it may declare the charset). Raises
    :class:`FeedParseError` only when the document yields no item and is not a well-formed
    feed; otherwise bad items are skipped and listed in ``problems``. An item without a date
    is dated ``seen``, and its uid is in :attr:`FeedPage.undated` (see
    :func:`keep_first_seen`).
    """
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True)
    items = parsed.get("entries") or []
    skipped = SkippedItems()
    if parsed.get("bozo"):
        skipped.note(f"malformed feed: {parsed.get('bozo_exception')}")
        if not items and not parsed.get("feed"):
            raise FeedParseError(f"not a feed: {parsed.get('bozo_exception')}")
    read: list[_Item] = []
    for index, item in enumerate(items):
        found = _read_item(item, index, night, seen)
        if isinstance(found, str):
            skipped.skip(SkipReason.NO_TEXT, found)
        else:
            read.append(found)
    # Only the items without a key of their own are numbered: one with a guid never shifts them.
    keyless = [item for item in read if item.explicit is None]
    numbered = dict(
        zip(
            (item.index for item in keyless),
            number_derived_keys(
                [item.derived for item in keyless], [(item.at, -item.index) for item in keyless]
            ),
            strict=True,
        )
    )
    entries: list[TextEntry] = []
    undated: set[str] = set()
    keys: set[str] = set()
    for item in read:
        key = item.explicit or numbered[item.index]
        if key in keys:
            skipped.skip(
                SkipReason.DUPLICATE_KEY,
                f"item {item.index + 1}: key {key!r} appears twice; the first is kept",
            )
            continue
        try:
            entry = TextEntry.of(
                source=source, key=key, at=item.at, text=item.text, undated=not item.dated
            )
        except UpdateError as error:
            skipped.skip(SkipReason.INVALID, f"item {key!r}: {error}")
            continue
        keys.add(key)
        entries.append(entry)
        if not item.dated:
            undated.add(entry.uid)
    if undated:
        skipped.note(f"{len(undated)} item(s) without a date it could read: dated when first seen")
    far = [entry for entry in entries if entry.uid not in undated and night.far_from(entry.at)]
    if far:
        first = far[0]
        skipped.note(
            f"{len(far)} item(s) dated more than a day from the night of {night.date.isoformat()}:"
            f" kept with their date (first: {first.uid!r}, {first.at.isoformat()})"
        )
    return FeedPage(
        entries=entries,
        night=night,
        seen=seen,
        problems=skipped.problems,
        skipped=skipped.counts,
        undated=frozenset(undated),
    )


def keep_first_seen(
    entries: Sequence[SourceEntry], undated: Collection[str], previous: Mapping[str, Update]
) -> list[SourceEntry]:
    """The entries of a poll, each undated one keeping the ``at`` it was first seen with.

    ``previous`` maps uids to the update last stored for them (the poller's state): an undated
    item already known keeps its ``at``, so that being seen again is no edit. One that was
    known with a date of its own (a feed that stopped dating it) keeps that date, and is no
    longer flagged ``undated``: its ``at`` is still the source's.
    """
    kept: list[SourceEntry] = []
    for entry in entries:
        known = previous.get(entry.uid) if entry.uid in undated else None
        if known is None:
            kept.append(entry)
        else:
            kept.append(replace(entry, at=known.at, undated=known.undated))
    return kept
