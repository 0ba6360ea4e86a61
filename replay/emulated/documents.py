"""The documents of the emulated sources, as they stood at one virtual instant. Pure.

``soiree sources`` serves three documents (``docs/sources.md``): the liveblog page
(:func:`liveblog_html`), the RSS 2.0 feed of articles (:func:`feed_xml`) and the results
endpoint (:func:`results_json`). Each is a function of a night's fixtures and a virtual instant
``now``: an item is shown once it is published (``published <= now``; a liveblog entry at its
``at``, the intro at 21:16 included), never before.

Every text from the fixtures is data: it is HTML- or XML-escaped wherever it is written, so a
fixture holding ``<img src=x onerror=alert(1)>`` is shown as those characters, never as markup.
Characters that XML 1.0 cannot carry at all (most C0 controls) are dropped from the feed, so that
it always parses.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.utils import format_datetime
from enum import StrEnum
from typing import Any, Final
from urllib.parse import quote

from replay.night_fixture import Article, Checkpoint, LiveblogEntry, NightFixture

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "Document",
    "NoSuchPageError",
    "etag_of",
    "feed_xml",
    "liveblog_html",
    "paragraphs_html",
    "published_instants",
    "results_json",
]

DEFAULT_PAGE_SIZE: Final = 20

# How a fixture text separates its paragraphs (and how a poller joins them back).
PARAGRAPH_SEPARATOR: Final = "\n\n"

# Characters XML 1.0 forbids even as character references: C0 controls other than tab, line
# feed and carriage return, lone surrogates, and U+FFFE / U+FFFF.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Document(StrEnum):
    """The three documents of a night's emulated sources."""

    LIVEBLOG = "liveblog"
    FEED = "feed"
    RESULTS = "results"


def etag_of(body: bytes) -> str:
    """A strong entity tag for ``body``, quotes included (the ``ETag`` header's value)."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def paragraphs_html(text: str) -> str:
    """``text``'s paragraphs (separated by a blank line) as escaped ``<p>`` elements."""
    return "".join(
        f"<p>{html.escape(part, quote=False)}</p>" for part in text.split(PARAGRAPH_SEPARATOR)
    )


# -- liveblog -------------------------------------------------------------------------------------


class NoSuchPageError(LookupError):
    """An older liveblog page that does not exist (an unknown ``before``, a page past the end)."""


def liveblog_html(
    fixture: NightFixture,
    now: datetime,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    before: str | None = None,
    page: int = 1,
    path: str = "/liveblog",
) -> str:
    """The liveblog page at ``now``: the newest ``page_size`` entries published so far.

    Entries come newest first (two entries at the same minute: the later one in the fixtures
    first); each ``<article>`` has the entry's key as its ``id``, a ``<time>`` whose ``datetime``
    is the entry's instant and whose text is the time as the liveblog writes it, and a
    ``<div class="body">`` holding the text's paragraphs.

    Older entries (``docs/sources.md``, "Pagination"): ``before`` (the key of a published entry)
    shows the newest ``page_size`` entries published before it, ``page`` (from 1) the
    ``page``-th ``page_size`` entries; a page with older entries under it ends with a link to
    them, ``<a rel="next" href="{path}?before=KEY">`` (``KEY``: the page's oldest entry).
    Raises :class:`NoSuchPageError` for an unknown ``before`` or a ``page`` past the end.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    if page < 1:
        raise NoSuchPageError(f"no page {page}")
    published = [entry for entry in fixture.liveblog if entry.at <= now]
    if before is not None:
        keys = [entry.key for entry in published]
        if before not in keys:
            raise NoSuchPageError(f"no published entry {before!r}")
        published = published[: keys.index(before)]
    newest_first = published[::-1]
    start = (page - 1) * page_size
    shown = newest_first[start : start + page_size]
    if page > 1 and not shown:
        raise NoSuchPageError(f"no page {page}")
    articles = "".join(_entry_html(fixture, entry) for entry in shown)
    title = html.escape(fixture.night.title)
    return (
        "<!doctype html>\n"
        f'<html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f'<body><main class="liveblog">\n{articles}</main>'
        f"{_older_link(shown, more=len(newest_first) > start + page_size, path=path)}"
        "</body></html>\n"
    )


def _older_link(shown: Sequence[LiveblogEntry], *, more: bool, path: str) -> str:
    """The link to the entries under ``shown`` ("" when there are none)."""
    if not shown or not more:
        return ""
    href = html.escape(f"{path}?before={quote(shown[-1].key, safe='')}")
    return f'\n<nav><a rel="next" class="older" href="{href}">Entrées précédentes</a></nav>\n'


def _entry_html(fixture: NightFixture, entry: LiveblogEntry) -> str:
    at = entry.at.astimezone(fixture.night.timezone)
    # The intro's header carries the date ("29/01 21:16"), the entries only their time ("20h41").
    written = f"{at:%d/%m} {entry.time_written}" if entry.intro else entry.time_written
    return (
        f'<article class="entry" id="{html.escape(entry.key)}">'
        f'<time datetime="{at.isoformat()}">{html.escape(written)}</time>\n'
        f'  <div class="body">{paragraphs_html(entry.text)}</div></article>\n'
    )


# -- feed -----------------------------------------------------------------------------------------


def feed_xml(fixture: NightFixture, now: datetime, *, link: str = "/liveblog") -> str:
    """The RSS 2.0 feed at ``now``: every article published so far, newest first.

    Each item has a ``guid`` (``isPermaLink="false"``), a ``title`` only when the article has
    one, a ``pubDate`` in the night's time zone (RFC 822), and a ``description`` holding the
    article's paragraphs as ``<p>`` elements, escaped. ``link`` is the channel's link (the
    server gives its own liveblog's absolute URL).
    """
    zone = fixture.night.timezone
    published = [article for article in fixture.articles if article.published <= now]
    published.sort(key=lambda article: article.published, reverse=True)
    night = fixture.night
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0">',
        "<channel>",
        f"<title>{_xml(night.title)}</title>",
        f"<link>{_xml(link)}</link>",
        f"<description>{_xml(f'Articles - {night.title}')}</description>",
        "<language>fr</language>",
    ]
    if published:
        newest = published[0].published.astimezone(zone)
        lines.append(f"<lastBuildDate>{format_datetime(newest)}</lastBuildDate>")
    lines.extend(_item_xml(article, fixture) for article in published)
    lines += ["</channel>", "</rss>", ""]
    return "\n".join(lines)


def _item_xml(article: Article, fixture: NightFixture) -> str:
    parts = ["<item>", f'<guid isPermaLink="false">{_xml(article.guid)}</guid>']
    if article.title is not None:
        parts.append(f"<title>{_xml(article.title)}</title>")
    published = article.published.astimezone(fixture.night.timezone)
    parts.append(f"<pubDate>{format_datetime(published)}</pubDate>")
    parts.append(f"<description>{_xml(paragraphs_html(article.text))}</description>")
    parts.append("</item>")
    return "".join(parts)


def _xml(text: str) -> str:
    """``text`` as XML character data or attribute value: escaped, unencodable characters out."""
    return html.escape(_NOT_XML.sub("", text), quote=True)


# -- results --------------------------------------------------------------------------------------


def results_json(fixture: NightFixture, now: datetime) -> dict[str, Any]:
    """The results endpoint at ``now``: every checkpoint published so far, oldest first.

    ``latest`` repeats the newest checkpoint and ``updated`` is its publication time; both are
    ``null`` before the first checkpoint.
    """
    shown = [_checkpoint_json(fixture, c) for c in fixture.checkpoints if c.published <= now]
    latest = shown[-1] if shown else None
    return {
        "night": fixture.night.slug,
        "updated": None if latest is None else latest["published"],
        "latest": latest,
        "checkpoints": shown,
    }


def _checkpoint_json(fixture: NightFixture, checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "id": checkpoint.id,
        "published": checkpoint.published.astimezone(fixture.night.timezone).isoformat(),
        "kind": checkpoint.kind.value,
        "round": checkpoint.round,
        "text": checkpoint.text,
        "figures": checkpoint.figures.to_json(),
    }


def published_instants(fixture: NightFixture, document: Document) -> Iterable[datetime]:
    """When each item of ``document`` is published (in the fixtures' order)."""
    if document is Document.LIVEBLOG:
        return (entry.at for entry in fixture.liveblog)
    if document is Document.FEED:
        return (article.published for article in fixture.articles)
    return (checkpoint.published for checkpoint in fixture.checkpoints)
