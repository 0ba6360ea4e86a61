"""Liveblog entries with no element of their own: a head and the siblings after it. Pure.

``entry_mode = "siblings"`` (``docs/sources.md``, "Liveblog markup"): inside each element the
``container`` selector matches, the children are read in order. A child the head selector
matches (a ``dt``, an ``h3``, a ``p.heure``) starts an entry: its time is the head's (the named
attribute, else its ``datetime`` attribute, else its text) and the head's text less that time,
if any is left (a title), is the entry's first paragraph. The children after it that ``body``
matches (without ``body``: every child that is no head) are its next paragraphs, until the
next head; other children (an advert between two entries) are passed over. Children before the
first head belong to no entry.

An entry's element id (its key, when it has one) is the head's ``id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.model.night import Night
from ingest.sources.html_text import node_text
from ingest.sources.liveblog_entry import RawEntry, element_id
from ingest.sources.liveblog_markup import TimeSpec
from ingest.sources.liveblog_times import attribute_time, cut_leading_time, element_time
from ingest.sources.skipped_items import SkippedItems, SkipReason

__all__ = ["sibling_entries"]


@dataclass(slots=True)
class _Run:
    """The entry being read: its head's id and label, its time, its paragraphs."""

    element_id: str | None
    label: str
    at: datetime
    paragraphs: list[str] = field(default_factory=list)


def sibling_entries(
    tree: LexborHTMLParser,
    night: Night,
    *,
    container: str,
    head: TimeSpec,
    body: str | None,
    skipped: SkippedItems,
) -> list[RawEntry]:
    """The entries of every ``container`` on the page, in document order."""
    if head.selector is None:  # refused with the source's configuration already
        raise ValueError("entries of sibling elements need a time selector")
    selector = head.selector
    entries: list[RawEntry] = []
    heads_seen = 0
    for box in tree.css(container):
        heads = {node.mem_id for node in box.css(selector)}
        bodies = None if body is None else {node.mem_id for node in box.css(body)}
        run: _Run | None = None
        for child in box.iter():
            if child.mem_id in heads:
                _close(run, entries, skipped)
                heads_seen += 1
                run = _open(child, head, night, f"#{heads_seen}", skipped)
            elif run is not None and (bodies is None or child.mem_id in bodies):
                run.paragraphs.append(node_text(child))
        _close(run, entries, skipped)
    return entries


def _open(
    node: LexborNode, head: TimeSpec, night: Night, number: str, skipped: SkippedItems
) -> _Run | None:
    identity = element_id(node)
    label = identity or number
    at: datetime | str | None
    if head.attribute is not None:
        at = attribute_time(node, head.attribute, night)
    else:
        at = element_time(node, night)
    if at is None or isinstance(at, str):
        reason = at or "no time it could read"
        skipped.skip(SkipReason.NO_DATE, f"entry {label}: {reason}")
        return None
    title = cut_leading_time(node_text(node))
    return _Run(identity, label, at, [title] if title else [])


def _close(run: _Run | None, entries: list[RawEntry], skipped: SkippedItems) -> None:
    if run is None:
        return
    text = "\n\n".join(paragraph for paragraph in run.paragraphs if paragraph)
    if not text:
        skipped.skip(SkipReason.NO_TEXT, f"entry {run.label}: no text")
        return
    entries.append(RawEntry(run.element_id, run.at, text))
