"""The loop of one source: fetch, parse, keep, write, record, wait, again.

A thin shell over the parts of :mod:`ingest.polling`: :mod:`ingest.polling.fetch` brings the
bytes, :func:`ingest.sources.parsed_document.parse_document` (the source type's parser, pure, run
by :func:`ingest.polling.bounded_parse.parse_bounded`) turns them into raw entries, the document
joins the queue of those not applied yet (:mod:`ingest.polling.kept_documents`), the write task
(:mod:`ingest.polling.kept_writer`) applies the queue oldest first, each document under the
source's lock (:mod:`ingest.polling.document_apply`: diff, extract what is new or changed,
append, save the state), and :mod:`ingest.polling.poll_bookkeeping` records the poll's health
and says when to poll again.

Order of a poll, and why nothing is lost or doubled by a crash at any point: the entries state
is written only after the appends, and the conditional-request validators are kept only after
that; a poller killed in between fetches the whole document again and appends the same updates,
which the store's dedupe turns into no-ops.

Redis unavailable: a document fetched while the append (or the state) cannot be written is kept
in memory, and applied, oldest first, before anything fetched later, as soon as Redis answers
again. The source keeps being polled at its interval meanwhile (it is not at fault: no backoff);
at most :data:`~ingest.polling.kept_documents.MAX_KEPT_DOCUMENTS` documents are kept per source
(the oldest dropped beyond, counted in the health's ``dropped_documents``). Redis hung: see
:mod:`ingest.polling.kept_writer`.

:meth:`SourcePoller.poll_once` never raises for anything a source, the network or Redis can do:
one source failing never stops another.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ingest.model.night import Night
from ingest.polling.bounded_parse import ParseLimitError, parse_bounded
from ingest.polling.catch_up import CatchUp
from ingest.polling.document_apply import DocumentApplier
from ingest.polling.fetch import Fetcher
from ingest.polling.fetch_result import FetchLimits, FetchOutcome, Validators
from ingest.polling.kept_documents import MAX_KEPT_DOCUMENTS, FetchedDocument, KeptDocuments
from ingest.polling.kept_writer import KeptWriter, StoreSilentError
from ingest.polling.poll_bookkeeping import PollBookkeeper, said
from ingest.polling.poll_result import PollResult, PollTotals
from ingest.runtime.aio import wait_or_stop
from ingest.sources.feed_parser import FeedParseError
from ingest.sources.flapping import damping_notes
from ingest.sources.parsed_document import (
    ParsedDocument,
    document_warning,
    joined_warnings,
    parse_document,
)
from ingest.sources.results_parser import ResultsParseError
from ingest.sources.source_config import SourceConfig
from ingest.sources.source_health import SourceHealth
from ingest.store.source_state import SourceState
from ingest.store.store_probe import StoreProbe
from ingest.store.stream_store import StreamStore

__all__ = [
    "DEFAULT_BURST_POLLS",
    "MAX_KEPT_DOCUMENTS",
    "PollResult",
    "PollTotals",
    "SourcePoller",
    "StoreSilentError",
]

logger = logging.getLogger(__name__)

#: At most this many polls of one source in a burst (each poll that changed something calls
#: for another, until one changes nothing).
DEFAULT_BURST_POLLS: Final = 20


class SourcePoller:
    """Polls one source into the stream; :meth:`run` until told to stop.

    ``max_kept`` bounds the documents kept while Redis cannot take them
    (:class:`~ingest.polling.kept_documents.KeptDocuments`); ``on_poll`` sees the result of
    every poll once it has finished (benchmarks measure the detection latency from it).
    """

    def __init__(
        self,
        source: SourceConfig,
        *,
        night: Night,
        redis: Redis,
        store: StreamStore,
        fetcher: Fetcher,
        draw: Callable[[], float] = random.random,
        probe: StoreProbe | None = None,
        max_kept: int = MAX_KEPT_DOCUMENTS,
        on_poll: Callable[[PollResult], None] | None = None,
    ) -> None:
        self.source = source
        self.night = night
        self.store = store
        self._fetcher = fetcher
        self._draw = draw
        self._on_poll = on_poll
        self._limits = FetchLimits(
            timeout=source.timeout,
            connect_timeout=source.connect_timeout,
            total_timeout=source.total_timeout,
            max_bytes=source.max_bytes,
            max_redirects=source.max_redirects,
        )
        #: Documents fetched but not applied yet, oldest first (see the module docstring).
        self._kept = KeptDocuments(source.name, bound=max_kept)
        applier = DocumentApplier(
            source, night=night, state=SourceState(redis, store.stream, source.name), store=store
        )
        self._writer = KeptWriter(self._kept, applier, probe=probe or StoreProbe(redis))
        self._books = PollBookkeeper(source, redis=redis, stream=store.stream, draw=draw)
        #: Reads a liveblog's older pages when entries scrolled off unseen (its pagination).
        self._catch_up = CatchUp(
            source,
            night=night,
            fetcher=fetcher,
            limits=self._limits,
            state=SourceState(redis, store.stream, source.name),
        )
        #: The result of the last poll that finished (None before the first).
        self.last_result: PollResult | None = None
        #: What every poll of this poller appended, summed (a burst's summary).
        self.totals = PollTotals()

    @property
    def health(self) -> SourceHealth:
        """The source's health as of the last poll."""
        return self._books.health

    # -- one poll ---------------------------------------------------------------------------

    async def poll_once(self) -> PollResult:
        """Fetch, parse, diff, append and record health; never raises for a source's faults."""
        try:
            await self._books.load(silent=self._writer.silent)
            result = await self._poll()
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError, StoreSilentError) as error:
            # The source is not at fault: keep polling it at its interval (what it shows is kept
            # until Redis is back), rather than backing off and missing what goes by. Nor is
            # the health written to a Redis that just proved unreachable (each try costs the
            # client's retries, and that would space the polls out all the same).
            unreachable = isinstance(
                error, RedisConnectionError | RedisTimeoutError | OSError | StoreSilentError
            )
            reason = said(error)  # "Redis refuses writes: ..." says its own subject
            result = await self._books.fail(
                "store_error",
                reason if reason.startswith("Redis ") else f"Redis: {reason}",
                None,
                0.0,
                None,
                backoff=False,
                record=not unreachable,
                silent=self._writer.silent,
            )
        except Exception as error:  # one source's bug must not stop the others
            logger.exception("%s: poll failed unexpectedly", self.source.name)
            result = await self._books.fail(
                "internal_error", repr(error), None, 0.0, None, silent=self._writer.silent
            )
        self.last_result = result
        self.totals = self.totals.plus(result)
        if self._on_poll is not None:
            self._on_poll(result)
        return result

    async def _poll(self) -> PollResult:
        source = self.source
        books = self._books
        version = SourceState.now_version()
        fetched = await self._fetcher.fetch(
            source.url,
            validators=self._writer.validators,
            limits=self._limits,
            user_agent=source.user_agent,
        )
        parsed: ParsedDocument | None = None
        parse_error: str | None = None
        if fetched.outcome is FetchOutcome.OK:
            seen = datetime.now(UTC)
            try:
                # A big or markup-heavy document is parsed in a worker process, within the
                # source's parse_timeout, and killed if this poll is cancelled.
                parsed = await parse_bounded(
                    parse_document, fetched.body, source, fetched.body,
                    charset=fetched.charset, content_type=fetched.content_type,
                    night=self.night, seen=seen, time_limit=source.parse_timeout,
                )  # fmt: skip
            except (FeedParseError, ResultsParseError, ParseLimitError) as error:
                parse_error = str(error)
            else:
                parsed = await self._catch_up.fill(parsed, page_url=fetched.url, seen=seen)
                books.health = self._catch_up.noted(books.health)
                validators = Validators(etag=fetched.etag, last_modified=fetched.last_modified)
                if self._catch_up.walk_again:  # an older page failed: the next poll reads all
                    validators = Validators()
                if self._kept.keep(FetchedDocument(parsed, version, seen, validators)):
                    books.dropping(self._kept.dropped)
        # What earlier polls could not write goes first, whatever this fetch gave. A Redis
        # error propagates (poll_once reports it) and leaves every document kept.
        applied = await self._writer.write()
        if fetched.outcome is FetchOutcome.NOT_MODIFIED:
            # Nothing was read: the last document's warning stands (its condition holds), with
            # this fetch's own wait for a connection slot, if any.
            return await books.succeed(
                fetched,
                diff=None,
                outcomes=applied.outcomes,
                entries=None,
                warning=joined_warnings(fetched.slot_note, books.document_warning),
                on_stream=applied.on_stream,
                document=None,
            )
        silent = self._writer.silent
        if not fetched.ok:
            return await books.fail(
                fetched.outcome.value,
                fetched.error or fetched.outcome.value,
                fetched.status,
                fetched.duration,
                fetched,
                silent=silent,
            )
        if parsed is None:
            return await books.fail(
                "parse_error", parse_error or "unparsable", fetched.status, fetched.duration,
                fetched, silent=silent,
            )  # fmt: skip
        if applied.error is not None:
            return await books.fail(
                "no_entries", applied.error, fetched.status, fetched.duration, fetched,
                silent=silent,
            )  # fmt: skip
        damping = damping_notes(applied.admission)
        books.document_warning = document_warning(damping, parsed.problems)
        return await books.succeed(
            fetched,
            diff=applied.diff,
            outcomes=applied.outcomes,
            entries=None if applied.diff is None else len(parsed.entries),
            warning=joined_warnings(fetched.slot_note, books.document_warning),
            on_stream=applied.on_stream,
            document=parsed,
            admission=applied.admission,
        )

    async def stop_writing(self) -> None:
        """Stop the task writing kept documents, if one runs (what it wrote stays written)."""
        await self._writer.stop()

    # -- the loop ---------------------------------------------------------------------------

    async def run(
        self,
        stop: asyncio.Event,
        *,
        burst: bool = False,
        burst_polls: int = DEFAULT_BURST_POLLS,
    ) -> PollResult | None:
        """Poll until ``stop`` is set; return the last poll's result.

        With ``burst``, poll without waiting until a poll changes nothing or fails (at most
        ``burst_polls`` polls), then return.
        """
        last: PollResult | None = None
        polls = 0
        try:
            while not stop.is_set():
                last = await self.poll_once()
                polls += 1
                if burst:
                    if not last.ok or not last.changed or polls >= burst_polls:
                        return last
                    continue
                delay = last.next_delay
                if polls == 1:
                    # Sources started together would poll together at every interval: the
                    # first wait is drawn between one and one and a half of it, which spreads
                    # them out (never sooner than asked).
                    delay *= 1 + 0.5 * self._draw()
                await _sleep_or_stop(stop, delay)
            return last
        finally:
            await self.stop_writing()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    if seconds > 0:
        await wait_or_stop(asyncio.sleep(seconds), stop)
