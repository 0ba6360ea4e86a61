"""A fetched document read by its source type's parser into raw entries, and what its warning says.

:func:`parse_document` picks the parser (:mod:`ingest.sources.liveblog_parser`,
:mod:`ingest.sources.feed_parser`, :mod:`ingest.sources.results_parser`) and returns a
:class:`ParsedDocument`: raw entries, not extracted yet (the poller diffs them first, then
extracts what is new or changed), the document's problems and what it left out. It runs inline
or in a parse worker (:mod:`ingest.polling.bounded_parse`, which preloads this module), so it
takes plain values, not the fetch result.

:func:`document_warning` and :func:`joined_warnings` are how a poll's problems become the one
warning of the source's health (``last_warning``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from ingest.extraction.entries import SourceEntry
from ingest.model.night import Night
from ingest.sources.feed_parser import parse_feed
from ingest.sources.html_text import decode_html
from ingest.sources.liveblog_parser import parse_liveblog
from ingest.sources.results_parser import parse_results
from ingest.sources.source_config import SourceConfig, SourceType

__all__ = [
    "WARNINGS_SHOWN",
    "ParsedDocument",
    "document_warning",
    "joined_warnings",
    "parse_document",
    "problems_shown",
]

#: How many of a poll's problems make it into the health's warning.
WARNINGS_SHOWN: Final = 3


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document's raw entries (oldest first for liveblogs, document order otherwise), not
    extracted yet, and its problems. ``reversed``: ``entries`` is the page's order reversed."""

    entries: list[SourceEntry]
    problems: list[str] = field(default_factory=list)
    reversed: bool = False
    #: Items left out, by :class:`ingest.sources.skipped_items.SkipReason`.
    skipped: dict[str, int] = field(default_factory=dict)
    #: uids of entries without a date of their own, dated when first seen (feeds).
    undated: frozenset[str] = frozenset()
    #: The link to older entries, as written on the page (liveblogs with a ``next`` selector).
    next_link: str | None = None


def parse_document(
    source: SourceConfig,
    body: bytes,
    *,
    charset: str | None,
    content_type: str | None,
    night: Night,
    seen: datetime,
) -> ParsedDocument:
    """Parse a fetched document (``body``, as served) with its source type's parser. Pure.

    Raises :class:`ValueError` (``FeedParseError``, ``ResultsParseError``) for a document that
    is not of that type at all.
    """
    if source.type is SourceType.LIVEBLOG:
        page = parse_liveblog(
            decode_html(body, charset),
            source=source.name,
            night=night,
            seen=seen,
            entry=source.entry,
            time_selector=source.time,
            body=source.body,
            order=source.order,
            entry_mode=source.entry_mode,
            container=source.container,
            next_selector=None if source.pagination is None else source.pagination.next,
        )
        return ParsedDocument(
            list(page.entries),
            page.problems,
            reversed=page.newest_first,
            skipped=page.skipped,
            next_link=page.next_link,
        )
    if source.type is SourceType.FEED:
        feed = parse_feed(
            body,
            source=source.name,
            night=night,
            seen=seen,
            content_type=content_type,
        )
        return ParsedDocument(
            list(feed.entries), feed.problems, skipped=feed.skipped, undated=feed.undated
        )
    text: bytes | str = body
    if charset and charset.lower().replace("-", "") != "utf8":
        text = decode_html(body, charset)
    results = parse_results(text, source=source.name, night=night, seen=seen)
    return ParsedDocument(list(results.updates), results.problems, skipped=results.skipped)


def problems_shown(problems: Sequence[str]) -> str:
    """The first :data:`WARNINGS_SHOWN` problems as one text ("" when there is none)."""
    return "; ".join(problems[:WARNINGS_SHOWN])


def document_warning(damping: Sequence[str], problems: Sequence[str]) -> str | None:
    """A document's warning: what the damper holds back, then its problems, the first few."""
    return problems_shown([*damping, *problems]) or None


def joined_warnings(*warnings: str | None) -> str | None:
    """Warnings as one (None when there is none)."""
    return "; ".join(warning for warning in warnings if warning) or None
