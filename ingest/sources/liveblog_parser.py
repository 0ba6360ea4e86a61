"""A liveblog page to raw entries: found by CSS selectors, or by their ``HHhMM:`` start. Pure.

With an ``entry`` selector (``docs/sources.md``, "Liveblog"), each match is an entry: its time
is the ``time`` element's ``datetime`` attribute, else its text (``20h41``, ``12H05``,
``29/01 21:16``), or the attribute ``time`` names (``@data-time``: of the entry itself;
``span.t@title``: of an element inside it), else (no ``time``) the ``HHhMM:`` that starts the
entry's text, cut from it; its text is the ``body`` element's (else the entry's own, less the
time element). With ``entry_mode = "siblings"``, entries are runs of sibling elements
(:mod:`ingest.sources.sibling_entries`). An entry without a time it can read, or without text,
is left out and named (:mod:`ingest.sources.skipped_items`).

Without an ``entry`` selector (the default format), the page's innermost blocks (``p``, ``li``,
headings...) are read in order: a block whose text starts with a time (``21h15:``, ``12H05:``)
starts an entry, and the blocks after it in the same parent element continue it (one paragraph
each) until the next time; blocks before the first time are not entries.

A bare time is on the night's date, or the next day before the night's ``early_hour`` (a night
runs late); a date (``29/01``) fixes the day. Times are in the night's time zone (zoneinfo).

Identity (``docs/sources.md``, "Identity of entries"): the entry element's ``id`` when it has
one, else ``HHMM`` of its time with ``-2``, ``-3``... for the 2nd, 3rd entry at the same
minute counted from the oldest. The page's order (newest or oldest first) is the source's
``order``, or, by default, read from the times: newest first unless most of them increase down
the page (so one old entry pinned on top does not turn a page around).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.extraction.document import split_time_prefix
from ingest.extraction.entries import TextEntry, build_update
from ingest.model.night import Night
from ingest.model.update import Update, UpdateError
from ingest.sources.html_text import node_text
from ingest.sources.liveblog_entry import RawEntry, element_id
from ingest.sources.liveblog_markup import EntryMode, TimeSpec, read_time_spec
from ingest.sources.liveblog_times import attribute_time, element_time, parse_time_text
from ingest.sources.page_order import runs_newest_first
from ingest.sources.sibling_entries import sibling_entries
from ingest.sources.skipped_items import SkippedItems, SkipReason
from ingest.sources.source_config import LiveblogOrder

__all__ = ["LiveblogPage", "RawEntry", "derive_keys", "parse_liveblog", "parse_time_text"]

#: The blocks the default format reads entries from.
DEFAULT_BLOCKS: Final = "p, li, h1, h2, h3, h4, h5, h6, blockquote, dd, dt, pre"
# Blocks that continue the entry above them (a heading or a caption ends it instead).
_CONTINUING: Final = frozenset({"p", "li", "blockquote", "pre", "dd"})


@dataclass(frozen=True, slots=True)
class LiveblogPage:
    """The entries of one page (oldest first, not extracted yet), and what the parser skipped.

    ``newest_first``: the page runs newest first (``entries`` is then its order reversed).
    ``night`` and ``seen`` are the parse's, for :attr:`updates`.
    """

    entries: list[TextEntry]
    night: Night
    seen: datetime
    problems: list[str] = field(default_factory=list)
    newest_first: bool = False
    #: Items left out, by :class:`ingest.sources.skipped_items.SkipReason`.
    skipped: dict[str, int] = field(default_factory=dict)
    #: The ``href`` of the link to older entries (the ``next_selector``), as written; None if
    #: no selector was given or the page has no such link.
    next_link: str | None = None

    @property
    def updates(self) -> list[Update]:
        """Every entry as an update, extracted (what a first poll of the page appends)."""
        return [build_update(entry, night=self.night, seen=self.seen) for entry in self.entries]


def _prefixed(text: str, night: Night) -> tuple[datetime, str] | None:
    """``"21h15: text"`` -> (its instant, ``"text"``); None if the text starts with no time."""
    split = split_time_prefix(text)
    if split is None:
        return None
    clock, rest = split
    return night.instant(clock), rest


def _inside(node: LexborNode, selector: str) -> LexborNode | None:
    """The first element inside ``node`` (not ``node`` itself) that ``selector`` matches."""
    for found in node.css(selector):
        if found.mem_id != node.mem_id:
            return found
    return None


def _entry_time(
    node: LexborNode, spec: TimeSpec, night: Night
) -> tuple[LexborNode | None, datetime | str]:
    """The element the entry's time was read from (None: the entry itself) and the time, or
    why there is none."""
    target = node if spec.selector is None else _inside(node, spec.selector)
    if target is None:
        return None, f"no {spec.selector!r} element in it"
    if spec.attribute is not None:
        at = attribute_time(target, spec.attribute, night)
    else:
        at = element_time(target, night) or "no time it could read"
    return (None if target is node else target), at


def _selected_entries(
    tree: LexborHTMLParser,
    night: Night,
    *,
    entry: str,
    time_spec: TimeSpec | None,
    body: str | None,
    skipped: SkippedItems,
) -> list[RawEntry]:
    entries: list[RawEntry] = []
    for number, node in enumerate(tree.css(entry), start=1):
        label = element_id(node) or f"#{number}"
        body_node = _inside(node, body) if body else None
        if body and body_node is None:
            skipped.skip(SkipReason.NO_TEXT, f"entry {label}: no {body!r} element in it")
            continue
        at: datetime | str | None
        if time_spec is not None:
            time_node, at = _entry_time(node, time_spec, night)
            skip = [time_node] if time_node is not None else []
            text = node_text(body_node) if body_node is not None else node_text(node, skip=skip)
        else:
            text = node_text(body_node) if body_node is not None else node_text(node)
            found = _prefixed(text if body_node is None else node_text(node), night)
            at = None if found is None else found[0]
            if found is not None and body_node is None:
                text = found[1]
        if at is None or isinstance(at, str):
            skipped.skip(SkipReason.NO_DATE, f"entry {label}: {at or 'no time it could read'}")
            continue
        if not text:
            skipped.skip(SkipReason.NO_TEXT, f"entry {label}: no text")
            continue
        entries.append(RawEntry(element_id(node), at, text))
    return entries


def _innermost_blocks(tree: LexborHTMLParser) -> list[LexborNode]:
    """The blocks holding no other block, in document order."""
    blocks = tree.css(DEFAULT_BLOCKS)
    matched = {block.mem_id for block in blocks}
    containers: set[int] = set()
    for block in blocks:
        parent = block.parent
        while parent is not None and parent.mem_id not in containers:
            if parent.mem_id in matched:
                containers.add(parent.mem_id)
            parent = parent.parent
    return [block for block in blocks if block.mem_id not in containers]


@dataclass(slots=True)
class _Open:
    """The entry being read in the default format: where it started and its paragraphs."""

    element_id: str | None
    at: datetime
    paragraphs: list[str]
    parent: int | None


def _default_entries(tree: LexborHTMLParser, night: Night) -> list[RawEntry]:
    entries: list[RawEntry] = []
    current: _Open | None = None

    def close() -> None:
        if current is not None:
            text = "\n\n".join(paragraph for paragraph in current.paragraphs if paragraph)
            if text:
                entries.append(RawEntry(current.element_id, current.at, text))

    for block in _innermost_blocks(tree):
        text = node_text(block)
        if not text:
            continue
        parent = None if block.parent is None else block.parent.mem_id
        found = _prefixed(text, night)
        if found is not None:
            close()
            current = _Open(element_id(block), found[0], [found[1]], parent)
        elif current is not None and current.parent == parent and block.tag in _CONTINUING:
            current.paragraphs.append(text)
        else:
            close()
            current = None
    close()
    return entries


def _runs_newest_first(entries: list[RawEntry], order: LiveblogOrder) -> bool:
    """The page's order: the source's, else read from the times (most neighbours going down
    or up: an old intro pinned on top of a newest-first page does not turn it around)."""
    if order is not LiveblogOrder.AUTO:
        return order is LiveblogOrder.NEWEST_FIRST
    return runs_newest_first([entry.at for entry in entries]) is not False


def derive_keys(entries: Sequence[RawEntry], night: Night) -> list[str]:
    """Each entry's key (entries oldest first): its element id, else ``HHMM[-n]``."""
    per_minute: dict[str, int] = {}
    keys: list[str] = []
    for entry in entries:
        base = f"{entry.at.astimezone(night.timezone):%H%M}"
        per_minute[base] = per_minute.get(base, 0) + 1
        if entry.element_id is not None:
            keys.append(entry.element_id)
        else:
            count = per_minute[base]
            keys.append(base if count == 1 else f"{base}-{count}")
    return keys


def parse_liveblog(
    page: str,
    *,
    source: str,
    night: Night,
    seen: datetime,
    entry: str | None = None,
    time_selector: str | None = None,
    body: str | None = None,
    order: LiveblogOrder = LiveblogOrder.AUTO,
    entry_mode: EntryMode = EntryMode.ELEMENTS,
    container: str | None = None,
    next_selector: str | None = None,
) -> LiveblogPage:
    """Parse a liveblog page into its entries, oldest first (see the module docstring), and
    the link to its older entries (``next_selector``: the first match with an ``href``)."""
    tree = LexborHTMLParser(page)
    skipped = SkippedItems()
    time_spec = None if time_selector is None else read_time_spec(time_selector)
    if entry_mode is EntryMode.SIBLINGS:
        if container is None or time_spec is None:
            raise ValueError('entry_mode = "siblings" needs container and time')
        raw = sibling_entries(
            tree, night, container=container, head=time_spec, body=body, skipped=skipped
        )
    elif entry is None:
        raw = _default_entries(tree, night)
    else:
        raw = _selected_entries(
            tree, night, entry=entry, time_spec=time_spec, body=body, skipped=skipped
        )
    newest_first = _runs_newest_first(raw, order)
    ordered = raw[::-1] if newest_first else raw
    entries: list[TextEntry] = []
    used: set[str] = set()
    for found, key in zip(ordered, derive_keys(ordered, night), strict=True):
        if key in used:
            skipped.skip(
                SkipReason.DUPLICATE_KEY,
                f"entry {key!r} appears twice on the page; the oldest is kept",
            )
            continue
        try:
            shown = TextEntry.of(source=source, key=key, at=found.at, text=found.text)
        except UpdateError as error:
            skipped.skip(SkipReason.INVALID, f"entry {key!r}: {error}")
            continue
        used.add(key)
        entries.append(shown)
    return LiveblogPage(
        entries=entries,
        night=night,
        seen=seen,
        problems=skipped.problems,
        newest_first=newest_first,
        skipped=skipped.counts,
        next_link=None if next_selector is None else _link(tree, next_selector),
    )


def _link(tree: LexborHTMLParser, selector: str) -> str | None:
    """The ``href`` of the first element ``selector`` matches that has a non-empty one."""
    for node in tree.css(selector):
        href = (node.attributes.get("href") or "").strip()
        if href:
            return href
    return None
