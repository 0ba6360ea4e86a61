"""Catch-up through a liveblog's older pages: when to walk, where next, when to stop. Pure.

A page of the latest N entries loses what scrolls off it between two polls (a burst, a poller
started late). A liveblog configured with a pagination
(:class:`ingest.sources.pagination.Pagination`, ``docs/sources.md``, "Pagination") lets the
poller read its older pages; this module plans that walk, :mod:`ingest.polling.catch_up`
fetches and parses the pages.

- **A gap** (:func:`has_gap`): what the poller knows of the source (:class:`Known`: the uids of
  its state, and the newest of their times) is empty (the first poll of a source), or the entry
  at the page's far end (the next to fall off: the oldest of the page, pinned entries on top left
  out) is unknown and not older than the newest known entry.
- **The walk** (:class:`Walk`): each older page read (:meth:`Walk.read`) adds the entries it shows
  that are unknown, not on a page read before, not older than the newest known entry, and not
  older than the age bound (``max_age`` seconds below the newest entry of the first page). It
  ends (:class:`Ending`) when a page shows a known entry or one older than the newest known
  (``reached``), when there is no older page (``first page``: an empty page, no link, a 404),
  or at a bound: ``max_pages`` pages read, an entry older than the age bound, a page showing
  nothing older than the pages before (``stuck``), or a page that could not be fetched
  (``failed``). Only ``reached`` and ``first page`` fill the gap.
- **Where next** (:func:`next_page_url`): the page's link (:func:`resolve_link`, kept to the
  source's own scheme, host and port), or the ``next_url`` template with ``{page}`` (2, 3...) or
  ``{before}`` (the key of the oldest entry read so far, percent-encoded).

The missed entries (:attr:`Walk.missed`) come oldest first, to be appended before the page's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, urljoin, urlsplit

from ingest.extraction.entries import SourceEntry
from ingest.sources.pagination import Pagination

__all__ = [
    "Ending",
    "Known",
    "Walk",
    "has_gap",
    "next_page_url",
    "resolve_link",
]


class Ending(StrEnum):
    """Why a walk through older pages stopped."""

    REACHED = "reached"
    FIRST_PAGE = "first page"
    PAGE_BOUND = "page bound"
    AGE_BOUND = "age bound"
    STUCK = "stuck"
    FAILED = "failed"

    @property
    def filled(self) -> bool:
        """Whether the walk got every entry it was after."""
        return self in (Ending.REACHED, Ending.FIRST_PAGE)


@dataclass(frozen=True, slots=True)
class Known:
    """What the poller knows of a source: the uids it holds, and the newest of their times."""

    uids: frozenset[str] = frozenset()
    newest: datetime | None = None

    @classmethod
    def of(cls, entries: Iterable[SourceEntry]) -> Known:
        """What ``entries`` make known."""
        return cls().plus(entries)

    def plus(self, entries: Iterable[SourceEntry]) -> Known:
        """This and ``entries``."""
        shown = list(entries)
        times = [entry.at for entry in shown]
        if self.newest is not None:
            times.append(self.newest)
        return Known(self.uids | {entry.uid for entry in shown}, max(times, default=None))

    @property
    def empty(self) -> bool:
        """Whether nothing is known (a source's first poll, on a fresh stream)."""
        return not self.uids


def has_gap(page: Sequence[SourceEntry], known: Known) -> bool:
    """Whether entries may have scrolled off ``page`` (oldest first) unseen (see the module)."""
    if not page:
        return False
    if known.empty or known.newest is None:
        return True
    tail = page[0]
    return tail.uid not in known.uids and tail.at >= known.newest


@dataclass(frozen=True, slots=True)
class Walk:
    """A walk through older pages, page after page (see the module docstring)."""

    known: Known
    #: Entries older than this are beyond the age bound.
    cutoff: datetime
    max_pages: int
    #: uids of every entry read so far (the first page's included).
    read_uids: frozenset[str]
    #: The oldest entry read so far (its key is ``{before}``).
    oldest: SourceEntry
    pages: int = 0
    #: The missed entries, oldest first.
    missed: tuple[SourceEntry, ...] = ()
    ending: Ending | None = None
    #: What stopped a failed walk, in words.
    error: str | None = None

    @classmethod
    def start(cls, page: Sequence[SourceEntry], known: Known, pagination: Pagination) -> Walk:
        """The walk from ``page`` (oldest first, not empty)."""
        newest = max(entry.at for entry in page)
        return cls(
            known=known,
            cutoff=newest - timedelta(seconds=pagination.max_age),
            max_pages=pagination.max_pages,
            read_uids=frozenset(entry.uid for entry in page),
            oldest=min(page, key=lambda entry: entry.at),
        )

    def read(self, entries: Sequence[SourceEntry]) -> Walk:
        """The walk once an older page showing ``entries`` (oldest first) was read."""
        pages = self.pages + 1
        fresh = [entry for entry in entries if entry.uid not in self.read_uids]
        if not entries:
            return replace(self, pages=pages, ending=Ending.FIRST_PAGE)
        if not fresh:
            return replace(self, pages=pages, ending=Ending.STUCK)
        newest_known = self.known.newest
        reached = any(
            entry.uid in self.known.uids or (newest_known is not None and entry.at < newest_known)
            for entry in entries
        )
        wanted = [
            entry
            for entry in fresh
            if entry.uid not in self.known.uids
            and (newest_known is None or entry.at >= newest_known)
            and entry.at >= self.cutoff
        ]
        beyond_age = any(entry.at < self.cutoff for entry in fresh)
        ending: Ending | None = None
        if reached:
            ending = Ending.REACHED
        elif beyond_age:
            ending = Ending.AGE_BOUND
        elif pages >= self.max_pages:
            ending = Ending.PAGE_BOUND
        oldest = min([self.oldest, *fresh], key=lambda entry: entry.at)
        return replace(
            self,
            pages=pages,
            read_uids=self.read_uids | {entry.uid for entry in fresh},
            oldest=oldest,
            missed=(*wanted, *self.missed),
            ending=ending,
        )

    def no_older_page(self) -> Walk:
        """The walk once the last page read had no link to an older one (or it was a 404)."""
        return replace(self, ending=Ending.FIRST_PAGE)

    def failed(self, error: str) -> Walk:
        """The walk once an older page could not be fetched or read."""
        return replace(self, ending=Ending.FAILED, error=error)

    def describe(self) -> str:
        """What the walk did, in words, for a warning (an unfilled gap) or a log."""
        since = (
            "entries older than the page"
            if self.known.newest is None
            else f"entries since {self.known.newest.isoformat()}"
        )
        found = f"{len(self.missed)} missed entr{'y' if len(self.missed) == 1 else 'ies'} found"
        reason = {
            Ending.REACHED: "reached known entries",
            Ending.FIRST_PAGE: "reached the oldest page",
            Ending.PAGE_BOUND: f"stopped at its bound of {self.max_pages} older pages",
            Ending.AGE_BOUND: f"stopped at its age bound ({self.cutoff.isoformat()})",
            Ending.STUCK: "an older page showed nothing older than the pages before",
            Ending.FAILED: f"an older page failed: {self.error}",
            None: "not finished",
        }[self.ending]
        if self.ending is not None and self.ending.filled:
            return f"catch-up: {found} in {self.pages} older page(s); {reason}"
        return (
            f"gap not filled: catch-up {reason} after {self.pages} older page(s), {found};"
            f" {since} may be missing"
        )


def resolve_link(href: str, *, page_url: str, source_url: str) -> str | None:
    """The absolute URL of a page's link to older entries, or None if it leads elsewhere than
    the source's own scheme, host and port (or is no http(s) URL at all)."""
    try:
        target = urljoin(page_url, href.strip())
        parts, home = urlsplit(target), urlsplit(source_url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    if (parts.scheme, parts.netloc) != (home.scheme, home.netloc):
        return None
    return target.split("#", 1)[0]


def next_page_url(walk: Walk, pagination: Pagination, *, link: str | None) -> str | None:
    """The URL of the next older page: the template filled in, else ``link`` (resolved)."""
    template = pagination.next_url
    if template is None:
        return link
    if "{page}" in template:
        return template.replace("{page}", str(walk.pages + 2))
    key = walk.oldest.uid.split(":", 1)[-1]
    return template.replace("{before}", quote(key, safe=""))
