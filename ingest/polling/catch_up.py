"""Catch-up through a liveblog's older pages: the shell of :mod:`ingest.sources.older_pages`.

A poller hands each liveblog page it parsed to :meth:`CatchUp.fill`. When the page shows a gap
(:func:`ingest.sources.older_pages.has_gap`: on the source's first poll, or when the entry about to
fall off the page is newer than anything known), the older pages are fetched one after the
other, with the poller's own :class:`~ingest.polling.fetch.Fetcher` (so the same limits, user
agent and per-host cap), parsed like the page (in a parse worker for a big one), and the entries
they show that were missed are put before the page's own, oldest first: the poller then diffs and
appends them as if the page had shown them. An older page fetched before is asked for
conditionally (its ``ETag`` / ``Last-Modified``), and a ``304`` reuses what it showed then.

What is known comes from the source's state in Redis at the first poll
(:meth:`ingest.store.source_state.SourceState.load`, read only), then from the pages this poller
read. A walk that failed (an older page that could not be fetched or read) leaves what is known
as it was, and sets :attr:`CatchUp.walk_again` (the poller then asks for the page whole, not
conditionally), so the next poll finds the same gap and walks again. Never raises for anything a
source or Redis can do.

Health (:meth:`CatchUp.noted`): ``gaps_found``, ``gaps_filled``, ``gaps_unfilled`` and
``unfilled_gap`` (the last gap not filled, in words); a gap not filled is also the poll's warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from redis.exceptions import RedisError

from ingest.model.night import Night
from ingest.polling.bounded_parse import ParseLimitError, parse_bounded
from ingest.polling.fetch import Fetcher
from ingest.polling.fetch_result import FetchLimits, FetchOutcome, Validators
from ingest.sources.older_pages import Ending, Known, Walk, has_gap, next_page_url, resolve_link
from ingest.sources.pagination import Pagination
from ingest.sources.parsed_document import ParsedDocument, parse_document
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.sources.source_health import SourceHealth
from ingest.store.source_state import SourceState

__all__ = ["CatchUp"]

logger = logging.getLogger(__name__)

#: Seconds the first poll waits for the source's state (what is known) before walking without.
STATE_TIMEOUT: Final = 5.0
#: Statuses that say there is no older page (the template ran past the oldest one).
_NO_PAGE: Final = frozenset({404, 410})


@dataclass(frozen=True, slots=True)
class _Cached:
    validators: Validators
    parsed: ParsedDocument


class CatchUp:
    """One liveblog source's catch-up (a no-op for a source without a pagination)."""

    def __init__(
        self,
        source: SourceConfig,
        *,
        night: Night,
        fetcher: Fetcher,
        limits: FetchLimits,
        state: SourceState,
    ) -> None:
        self.source = source
        self._pagination: Pagination | None = (
            source.pagination if source.type is SourceType.LIVEBLOG else None
        )
        self._night = night
        self._fetcher = fetcher
        self._limits = limits
        self._state = state
        self._known: Known | None = None
        #: Older pages read before: URL -> validators and what the page showed.
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self.gaps_found = 0
        self.gaps_filled = 0
        self.gaps_unfilled = 0
        self.unfilled_gap: str | None = None
        #: The last walk (None before the first), for logs and tests.
        self.last_walk: Walk | None = None
        #: Whether the last walk failed on an error: the next poll must read the page whole
        #: (not ask it conditionally), to find the gap again and walk again.
        self.walk_again = False

    async def fill(
        self, parsed: ParsedDocument, *, page_url: str, seen: datetime
    ) -> ParsedDocument:
        """``parsed`` with the entries that scrolled off it unseen put first (oldest first)."""
        pagination = self._pagination
        if pagination is None or not parsed.entries:
            return parsed
        known = await self._known_now()
        self.walk_again = False
        if not has_gap(parsed.entries, known):
            self._known = known.plus(parsed.entries)
            return parsed
        walk = await self._walk(
            Walk.start(parsed.entries, known, pagination), parsed, page_url, pagination
        )
        self.last_walk = walk
        self.walk_again = walk.ending is Ending.FAILED
        self.gaps_found += 1
        if walk.ending is not Ending.FAILED:
            self._known = known.plus(parsed.entries).plus(walk.missed)
        problems = parsed.problems
        if walk.ending is not None and walk.ending.filled:
            self.gaps_filled += 1
            logger.info("%s: %s", self.source.name, walk.describe())
        else:
            self.gaps_unfilled += 1
            self.unfilled_gap = f"{seen.isoformat(timespec='seconds')}: {walk.describe()}"
            logger.warning("%s: %s", self.source.name, walk.describe())
            problems = [walk.describe(), *parsed.problems]
        if not walk.missed and problems is parsed.problems:
            return parsed
        return replace(parsed, entries=[*walk.missed, *parsed.entries], problems=problems)

    def noted(self, health: SourceHealth) -> SourceHealth:
        """``health`` with this source's gaps (absent while there has been none)."""
        if self._pagination is None:
            return health
        return health.with_gaps(
            found=self.gaps_found,
            filled=self.gaps_filled,
            unfilled=self.gaps_unfilled,
            last_unfilled=self.unfilled_gap,
        )

    async def _known_now(self) -> Known:
        """What is known of the source: its state in Redis at first, then this poller's pages."""
        if self._known is not None:
            return self._known
        try:
            async with asyncio.timeout(STATE_TIMEOUT):
                previous, _ = await self._state.load()
        except (RedisError, OSError, TimeoutError) as error:
            # Walk as on a fresh stream: what the state holds is deduped when applied.
            logger.warning(
                "%s: cannot read what is known (%s); catching up all", self.source.name, error
            )
            return Known()
        return Known.of(seen.update for seen in previous.values())

    async def _walk(
        self, walk: Walk, page: ParsedDocument, page_url: str, pagination: Pagination
    ) -> Walk:
        """Fetch older pages until the walk ends."""
        visited = {page_url}
        last, last_url = page, page_url
        while walk.ending is None:
            link = None
            if pagination.next is not None:
                if last.next_link is None:
                    return walk.no_older_page()
                link = resolve_link(last.next_link, page_url=last_url, source_url=self.source.url)
                if link is None:
                    return walk.failed("the link to older entries leads off the source's site")
            url = next_page_url(walk, pagination, link=link)
            if url is None:
                return walk.no_older_page()
            if url in visited:
                return replace(walk, ending=Ending.STUCK)
            visited.add(url)
            older = await self._older_page(url)
            if older is None:
                return walk.no_older_page()
            if isinstance(older, str):
                return walk.failed(older)
            walk = walk.read(older.entries)
            last, last_url = older, url
        return walk

    async def _older_page(self, url: str) -> ParsedDocument | str | None:
        """An older page parsed; None if there is none (404); the error in words if it failed."""
        cached = self._cache.get(url)
        fetched = await self._fetcher.fetch(
            url,
            validators=None if cached is None else cached.validators,
            limits=self._limits,
            user_agent=self.source.user_agent,
        )
        if fetched.outcome is FetchOutcome.NOT_MODIFIED and cached is not None:
            return cached.parsed
        if fetched.outcome is FetchOutcome.HTTP_ERROR and fetched.status in _NO_PAGE:
            return None
        if fetched.outcome is not FetchOutcome.OK:
            return f"{fetched.outcome.value}: {fetched.error or fetched.outcome.value}"
        try:
            parsed = await parse_bounded(
                parse_document, fetched.body, self.source, fetched.body,
                charset=fetched.charset, content_type=fetched.content_type,
                night=self._night, seen=datetime.now(UTC),
                time_limit=self.source.parse_timeout,
            )  # fmt: skip
        except (ValueError, ParseLimitError) as error:
            return f"parse_error: {error}"
        validators = Validators(etag=fetched.etag, last_modified=fetched.last_modified)
        if validators.etag or validators.last_modified:
            self._cache[url] = _Cached(validators, parsed)
            self._cache.move_to_end(url)
            while len(self._cache) > 2 * (self._pagination.max_pages if self._pagination else 1):
                self._cache.popitem(last=False)
        return parsed
