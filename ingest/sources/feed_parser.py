"""An RSS or Atom feed's bytes to updates, through feedparser. Pure: no I/O.

Each item becomes one update (``docs/sources.md``, "Feed"): its key is the ``guid`` (Atom
``id``), else its link, else a digest of its title (else of its body); ``at`` is its
``pubDate`` / ``published`` (else ``updated``) in the night's time zone; the text is the title
above the body (:func:`ingest.extraction.entries.article_text`), the body being the ``content``
(else the ``description``) as plain text. A malformed feed still gives its good items: feedparser's
lenient parser reads what it can, and an item without a date, or one that fails, is left out
and reported in :attr:`FeedPage.problems` rather than failing the whole feed.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from time import struct_time
from typing import Any, Final

import feedparser

from ingest.extraction.entries import article_text
from ingest.extraction.update_cache import update_from_text_cached
from ingest.model.errors import SoireeError
from ingest.model.night import Night
from ingest.model.text_cleaning import clean_text
from ingest.model.update import Update, UpdateError
from ingest.sources.html_text import fragment_text

__all__ = ["FeedPage", "FeedParseError", "entry_key", "parse_feed"]

# A key longer than this (a long permalink used as guid) is replaced by its digest, so that the
# uid stays within the update's 200 characters whatever the source name.
MAX_KEY_LENGTH: Final = 120
_HTML_TYPES: Final = ("text/html", "application/xhtml+xml")


class FeedParseError(SoireeError, ValueError):
    """The bytes are not a feed at all (nothing feedparser can read an item from)."""


@dataclass(frozen=True, slots=True)
class FeedPage:
    """The updates of one feed document, and what was wrong with the items left out."""

    updates: list[Update]
    problems: list[str] = field(default_factory=list)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def _bounded(key: str) -> str:
    key = clean_text(key, max_length=10_000).replace("\n", " ")
    return key if len(key) <= MAX_KEY_LENGTH else f"h-{_digest(key)}"


def entry_key(item: Mapping[str, Any], *, title: str, body: str) -> str | None:
    """The item's identity: guid / id, else link, else a digest of its title (else its body)."""
    for name in ("id", "link"):
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return _bounded(value.strip())
    if title:
        return f"t-{_digest(title)}"
    if body:
        return f"b-{_digest(body)}"
    return None


def _text_of(detail: object, fallback: object) -> str:
    """A feedparser text construct as plain text (HTML ones through the HTML reader)."""
    if isinstance(detail, Mapping):
        value = detail.get("value")
        if isinstance(value, str):
            if detail.get("type") in _HTML_TYPES:
                return fragment_text(value)
            return clean_text(value)
    return clean_text(fallback) if isinstance(fallback, str) else ""


def _body_of(item: Mapping[str, Any]) -> str:
    contents = item.get("content")
    if isinstance(contents, list):
        texts = [_text_of(content, None) for content in contents]
        texts = [text for text in texts if text]
        if texts:
            return texts[0]
    return _text_of(item.get("summary_detail"), item.get("summary"))


def _instant(item: Mapping[str, Any], night: Night) -> datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        # dict.get, not FeedParserDict.get: the latter maps a missing ``updated_parsed`` to
        # ``published_parsed`` with a DeprecationWarning (feedparser issue 310).
        value = dict.get(item, name) if isinstance(item, dict) else item.get(name)
        if isinstance(value, struct_time):
            # feedparser normalises every date it parsed to UTC.
            utc = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            return utc.astimezone(night.timezone)
    return None


def parse_feed(
    data: bytes,
    *,
    source: str,
    night: Night,
    seen: datetime,
    content_type: str | None = None,
) -> FeedPage:
    """Parse a feed document into updates, newest item order kept as in the document.

    ``content_type`` is the response's header (it may declare the charset). Raises
    :class:`FeedParseError` only when the document yields no item and is not a well-formed
    feed; otherwise bad items are skipped and listed in ``problems``.
    """
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(data, response_headers=headers, sanitize_html=True)
    items = parsed.get("entries") or []
    problems: list[str] = []
    if parsed.get("bozo"):
        problems.append(f"malformed feed: {parsed.get('bozo_exception')}")
        if not items and not parsed.get("feed"):
            raise FeedParseError(f"not a feed: {parsed.get('bozo_exception')}")
    updates: list[Update] = []
    keys: set[str] = set()
    for index, item in enumerate(items):
        title = _text_of(item.get("title_detail"), item.get("title"))
        body = _body_of(item)
        key = entry_key(item, title=title, body=body)
        if key is None:
            problems.append(f"item {index + 1}: no guid, link, title or text")
            continue
        if key in keys:
            problems.append(f"item {index + 1}: key {key!r} appears twice; the first is kept")
            continue
        at = _instant(item, night)
        if at is None:
            problems.append(f"item {key!r}: no publication date it could read")
            continue
        text = article_text(title or None, body)
        if not text:
            problems.append(f"item {key!r}: no text")
            continue
        try:
            update = update_from_text_cached(
                source=source, key=key, at=at, text=text, night=night, seen=seen
            )
        except UpdateError as error:
            problems.append(f"item {key!r}: {error}")
            continue
        keys.add(key)
        updates.append(update)
    return FeedPage(updates=updates, problems=problems)
