"""The loop of one source: fetch, parse, diff, append, keep health, wait, again.

A thin shell over the pure parts: :mod:`ingest.polling.fetch` brings the bytes,
:func:`parse_document` (the source type's parser) turns them into updates,
:func:`ingest.sources.entry_diff.diff_entries` compares them with what the source showed before
(kept in Redis, :func:`ingest.store.keys.entries_key`, so a restarted poller or a replica picks up
where the last one left), the stream store appends (atomically: what is already there is never
written twice) and :mod:`ingest.store.health` records the poll.
:func:`ingest.runtime.backoff.next_poll_delay` says when to poll again.

Order of a poll, and why nothing is lost or doubled by a crash at any point: the entries state
is written only after the appends, and the conditional-request validators are kept only after
that; a poller killed in between fetches the whole document again and appends the same updates,
which the store's dedupe turns into no-ops.

Redis unavailable: a document fetched while the append (or the state) cannot be written is kept
in memory, and applied, oldest first, before anything fetched later, as soon as Redis answers
again. So an entry a page showed only while Redis was down (a page of the latest N entries moves
on) is still appended, once. The source keeps being polled at its interval meanwhile (it is not
at fault: no backoff); at most :data:`MAX_KEPT_DOCUMENTS` documents are kept per source.

:meth:`SourcePoller.poll_once` never raises for anything a source, the network or Redis can do:
one source failing never stops another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ingest.model.night import Night
from ingest.model.update import Op, Update
from ingest.polling.fetch import Fetcher, FetchLimits, FetchOutcome, FetchResult, Validators
from ingest.runtime.backoff import Backoff, next_poll_delay
from ingest.sources.config import SourceConfig, SourceType
from ingest.sources.entry_diff import Diff, diff_entries
from ingest.sources.feed_parser import FeedParseError, parse_feed
from ingest.sources.html_text import decode_html
from ingest.sources.liveblog_parser import parse_liveblog
from ingest.sources.results_parser import ResultsParseError, parse_results
from ingest.store.health import SourceHealth, read_health, record_poll
from ingest.store.source_state import SourceBusyError, SourceState
from ingest.store.stream_store import AppendOutcome, StreamStore

__all__ = [
    "DEFAULT_BURST_POLLS",
    "MAX_KEPT_DOCUMENTS",
    "ParsedDocument",
    "PollResult",
    "PollTotals",
    "SourcePoller",
    "parse_document",
]

#: Documents larger than this are parsed in a worker thread (the small ones, the usual case, on
#: the event loop: a thread hop would only add to the detection latency).
PARSE_IN_THREAD_BYTES: Final = 256 * 1024

logger = logging.getLogger(__name__)

#: At most this many polls of one source in a burst (each poll that changed something calls
#: for another, until one changes nothing).
DEFAULT_BURST_POLLS: Final = 20
#: Documents kept per source while Redis cannot take them (beyond, the oldest is dropped): at
#: one poll every 5 s, over 20 minutes of outage, and only documents that differ count.
MAX_KEPT_DOCUMENTS: Final = 256
# How many of a poll's problems make it into the health's warning.
_WARNINGS_SHOWN: Final = 3


class _ParseError(Exception):
    """The document is not what its source type expects (the poll failed)."""


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A document's updates (oldest first for liveblogs, document order otherwise) and problems."""

    updates: list[Update]
    problems: list[str] = field(default_factory=list)


def parse_document(
    source: SourceConfig, result: FetchResult, *, night: Night, seen: datetime
) -> ParsedDocument:
    """Parse a fetched document with its source type's parser. Pure.

    Raises :class:`ValueError` (``FeedParseError``, ``ResultsParseError``) for a document that
    is not of that type at all.
    """
    if source.type is SourceType.LIVEBLOG:
        page = parse_liveblog(
            decode_html(result.body, result.charset),
            source=source.name,
            night=night,
            seen=seen,
            entry=source.entry,
            time_selector=source.time,
            body=source.body,
            order=source.order,
        )
        return ParsedDocument(page.updates, page.problems)
    if source.type is SourceType.FEED:
        feed = parse_feed(
            result.body,
            source=source.name,
            night=night,
            seen=seen,
            content_type=result.content_type,
        )
        return ParsedDocument(feed.updates, feed.problems)
    body: bytes | str = result.body
    if result.charset and result.charset.lower().replace("-", "") != "utf8":
        body = decode_html(result.body, result.charset)
    results = parse_results(body, source=source.name, night=night, seen=seen)
    return ParsedDocument(results.updates, results.problems)


@dataclass(frozen=True, slots=True)
class PollTotals:
    """What a poller's polls did, summed: the whole of a burst, not its last poll."""

    polls: int = 0
    added: int = 0
    edited: int = 0
    deleted: int = 0

    def plus(self, result: PollResult) -> PollTotals:
        """These totals with one more poll."""
        return PollTotals(
            polls=self.polls + 1,
            added=self.added + result.added,
            edited=self.edited + result.edited,
            deleted=self.deleted + result.deleted,
        )


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did, for logs, tests and the burst summary.

    ``latency`` is the detection latency (fetch finished -> appended), set when the poll
    appended something; ``next_delay`` the seconds until the next poll.
    """

    source: str
    outcome: str
    ok: bool
    status: int | None = None
    entries: int | None = None
    added: int = 0
    edited: int = 0
    deleted: int = 0
    fetch_seconds: float = 0.0
    latency: float | None = None
    next_delay: float = 0.0
    error: str | None = None
    warning: str | None = None

    @property
    def appended(self) -> int:
        """How many updates this poll put on the stream."""
        return self.added + self.edited + self.deleted

    @property
    def changed(self) -> bool:
        """Whether the source showed anything new (appended by this poller or another)."""
        return self.appended > 0


@dataclass(frozen=True, slots=True)
class _Applied:
    """What applying a document did. ``diff`` None: not applied (stale, or source busy)."""

    diff: Diff | None = None
    outcomes: Sequence[AppendOutcome] = ()
    on_stream: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A document fetched and parsed, kept until it is applied (Redis may be away meanwhile)."""

    parsed: ParsedDocument
    version: int
    seen: datetime
    validators: Validators

    def same_entries(self, other: _Fetched) -> bool:
        """Whether both documents show the same entries with the same content."""
        mine, theirs = self.parsed.updates, other.parsed.updates
        return len(mine) == len(theirs) and all(
            a.uid == b.uid and a.content_digest() == b.content_digest()
            for a, b in zip(mine, theirs, strict=True)
        )


class SourcePoller:
    """Polls one source into the stream; :meth:`run` until told to stop."""

    def __init__(
        self,
        source: SourceConfig,
        *,
        night: Night,
        redis: Redis,
        store: StreamStore,
        fetcher: Fetcher,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.source = source
        self.night = night
        self.store = store
        self._redis = redis
        self._fetcher = fetcher
        self._draw = draw
        self._validators = Validators()
        #: Documents fetched but not applied yet, oldest first (see the module docstring).
        self._kept: deque[_Fetched] = deque()
        self._limits = FetchLimits(
            timeout=source.timeout,
            connect_timeout=source.connect_timeout,
            total_timeout=source.total_timeout,
            max_bytes=source.max_bytes,
            max_redirects=source.max_redirects,
        )
        self._backoff = Backoff(interval=source.interval, max_backoff=source.max_backoff)
        self.health = SourceHealth(
            source=source.name, type=source.type.value, url=source.url, interval=source.interval
        )
        self._state = SourceState(redis, store.stream, source.name)
        self._last_logged_error: str | None = None
        #: The result of the last poll that finished (None before the first).
        self.last_result: PollResult | None = None
        #: What every poll of this poller appended, summed (a burst's summary).
        self.totals = PollTotals()
        self._loaded = False

    # -- state in Redis ---------------------------------------------------------------------

    async def _load_health(self) -> None:
        """Carry on from the health a previous poller of this source left (last success...)."""
        if self._loaded:
            return
        previous = await read_health(self._redis, self.store.stream, self.source.name)
        if previous is not None:
            self.health = SourceHealth(
                source=self.source.name,
                type=self.source.type.value,
                url=self.source.url,
                interval=self.source.interval,
                last_success=previous.last_success,
                last_error=previous.last_error,
                last_error_at=previous.last_error_at,
                entries_seen=previous.entries_seen,
                detection_latency_ms=previous.detection_latency_ms,
                detection_latency_max_ms=previous.detection_latency_max_ms,
            )
        self._loaded = True

    # -- one poll ---------------------------------------------------------------------------

    async def poll_once(self) -> PollResult:
        """Fetch, parse, diff, append and record health; never raises for a source's faults."""
        try:
            await self._load_health()
            result = await self._poll()
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError) as error:
            # The source is not at fault: keep polling it at its interval (what it shows is kept
            # until Redis is back), rather than backing off and missing what goes by. Nor is
            # the health written to a Redis that just proved unreachable (each try costs the
            # client's retries, and that would space the polls out all the same).
            unreachable = isinstance(error, RedisConnectionError | RedisTimeoutError | OSError)
            result = await self._fail(
                "store_error",
                f"Redis: {error}",
                None,
                0.0,
                None,
                backoff=False,
                record=not unreachable,
            )
        except Exception as error:  # one source's bug must not stop the others
            logger.exception("%s: poll failed unexpectedly", self.source.name)
            result = await self._fail("internal_error", repr(error), None, 0.0, None)
        self.last_result = result
        self.totals = self.totals.plus(result)
        return result

    async def _poll(self) -> PollResult:
        source = self.source
        version = SourceState.now_version()
        fetched = await self._fetcher.fetch(
            source.url,
            validators=self._validators,
            limits=self._limits,
            user_agent=source.user_agent,
        )
        parsed: ParsedDocument | None = None
        parse_error: str | None = None
        if fetched.outcome is FetchOutcome.OK:
            seen = datetime.now(UTC)
            try:
                if len(fetched.body) > PARSE_IN_THREAD_BYTES:
                    # A big (or hostile) document can take seconds to parse: off the event
                    # loop, so that the other sources of this process keep their pace.
                    parsed = await asyncio.to_thread(
                        parse_document, source, fetched, night=self.night, seen=seen
                    )
                else:
                    parsed = parse_document(source, fetched, night=self.night, seen=seen)
            except (FeedParseError, ResultsParseError) as error:
                parse_error = str(error)
            else:
                validators = Validators(etag=fetched.etag, last_modified=fetched.last_modified)
                self._keep(_Fetched(parsed, version, seen, validators))
        # What earlier polls could not write goes first, whatever this fetch gave. A Redis
        # error propagates (poll_once reports it) and leaves every document kept.
        applied = await self._apply_kept()
        if fetched.outcome is FetchOutcome.NOT_MODIFIED:
            return await self._succeed(
                fetched,
                diff=None,
                outcomes=applied.outcomes,
                entries=None,
                warning=None,
                on_stream=applied.on_stream,
            )
        if not fetched.ok:
            return await self._fail(
                fetched.outcome.value,
                fetched.error or fetched.outcome.value,
                fetched.status,
                fetched.duration,
                fetched,
            )
        if parsed is None:
            return await self._fail(
                "parse_error", parse_error or "unparsable", fetched.status, fetched.duration,
                fetched,
            )  # fmt: skip
        if applied.error is not None:
            return await self._fail(
                "no_entries", applied.error, fetched.status, fetched.duration, fetched
            )
        return await self._succeed(
            fetched,
            diff=applied.diff,
            outcomes=applied.outcomes,
            entries=None if applied.diff is None else len(parsed.updates),
            warning="; ".join(parsed.problems[:_WARNINGS_SHOWN]) or None,
            on_stream=applied.on_stream,
        )

    def _keep(self, document: _Fetched) -> None:
        """Queue a fetched document to be applied after those still waiting."""
        if self._kept and self._kept[-1].same_entries(document):
            # Nothing new since the last document waiting: remember only the newer validators.
            self._kept[-1] = replace(
                self._kept[-1], version=document.version, validators=document.validators
            )
            return
        self._kept.append(document)
        if len(self._kept) > MAX_KEPT_DOCUMENTS:
            dropped = self._kept.popleft()
            logger.warning(
                "%s: Redis has been unavailable for too long: dropping the document fetched at"
                " %s (entries only it showed are lost)",
                self.source.name,
                dropped.seen.isoformat(),
            )

    async def _apply_kept(self) -> _Applied:
        """Apply the kept documents, oldest first; what the last one applied did, all outcomes.

        Each document leaves the queue once applied (or found stale, or empty). A Redis error
        leaves it, and those after it, for the next poll.
        """
        outcomes: list[AppendOutcome] = []
        last = _Applied()
        while self._kept:
            document = self._kept[0]
            try:
                last = await self._apply(
                    document.parsed, version=document.version, seen=document.seen
                )
            except SourceBusyError as error:
                # Another replica is applying this source: ours waits for the next poll (and
                # is dropped then if the state has moved past it).
                logger.debug("%s", error)
                return _Applied(outcomes=outcomes)
            except (RedisError, OSError):
                raise
            except Exception:
                # Never retry a document that breaks the poller: the next fetch gets a new one.
                self._kept.popleft()
                raise
            self._kept.popleft()
            outcomes.extend(last.outcomes)
            if last.diff is not None:
                # Only now is the content safely ingested: later polls may ask conditionally.
                self._validators = document.validators
        return replace(last, outcomes=outcomes)

    async def _apply(self, parsed: ParsedDocument, *, version: int, seen: datetime) -> _Applied:
        """Under the source's lock: diff the document against the state, append, keep it."""
        async with self._state.locked():
            previous, stored = await self._state.load()
            # A document kept while Redis was away is older than a fetch: widen the window
            # that tells a newer state from a clock that jumped back by how long it was kept.
            kept_for = max(0.0, (SourceState.now_version() - version) / 1_000_000)
            window = self.source.total_timeout + 5 + kept_for
            if SourceState.is_stale(version, stored, window=window):
                logger.debug("%s: a newer document was applied; ours is dropped", self.source.name)
                return _Applied()
            if not parsed.updates and any(not entry.deleted for entry in previous.values()):
                problems = "; ".join(parsed.problems[:_WARNINGS_SHOWN])
                return _Applied(
                    error="no entries found in the document"
                    + (f" ({problems})" if problems else "")
                )
            diff = diff_entries(previous, parsed.updates)
            deletes = [update.as_delete(seen=seen) for update in diff.deleted]
            outcomes = await self.store.append_many([*diff.new_or_changed, *deletes])
            on_stream = time.monotonic()
            await self._state.save(diff, seen=seen, version=version)
        return _Applied(diff=diff, outcomes=outcomes, on_stream=on_stream)

    async def _succeed(
        self,
        fetched: FetchResult,
        *,
        diff: Diff | None,
        outcomes: Sequence[AppendOutcome],
        entries: int | None,
        warning: str | None,
        on_stream: float | None = None,
    ) -> PollResult:
        added = sum(1 for o in outcomes if o.appended and o.op is Op.ADD)
        edited = sum(1 for o in outcomes if o.appended and o.op is Op.EDIT)
        deleted = sum(1 for o in outcomes if o.appended and o.op is Op.DELETE)
        appended = added + edited + deleted
        latency = None
        if appended and on_stream is not None:
            latency = on_stream - fetched.finished
        now = datetime.now(UTC)
        self.health = self.health.succeeded(
            now=now,
            outcome=fetched.outcome.value,
            status=fetched.status,
            poll_seconds=fetched.duration,
            entries=entries,
            latency_seconds=latency,
            warning=warning,
        )
        delay = next_poll_delay(
            self._backoff,
            failures=0,
            retry_after=fetched.retry_after,
            max_age=fetched.max_age,
            draw=self._draw,
        )
        self.health = self.health.scheduled(now + timedelta(seconds=delay))
        await record_poll(self._redis, self.store.stream, self.health, appended=appended)
        self._last_logged_error = None
        result = PollResult(
            source=self.source.name,
            outcome=fetched.outcome.value,
            ok=True,
            status=fetched.status,
            entries=entries,
            added=added,
            edited=edited,
            deleted=deleted,
            fetch_seconds=fetched.duration,
            latency=latency,
            next_delay=delay,
            warning=warning,
        )
        self._log(result, diff)
        return result

    async def _fail(
        self,
        outcome: str,
        error: str,
        status: int | None,
        seconds: float,
        fetched: FetchResult | None,
        *,
        backoff: bool = True,
        record: bool = True,
    ) -> PollResult:
        now = datetime.now(UTC)
        self.health = self.health.failed(
            now=now, outcome=outcome, error=error, status=status, poll_seconds=seconds
        )
        delay = next_poll_delay(
            self._backoff,
            failures=self.health.consecutive_errors if backoff else 0,
            retry_after=None if fetched is None else fetched.retry_after,
            draw=self._draw,
        )
        self.health = self.health.scheduled(now + timedelta(seconds=delay))
        try:
            if record:
                await record_poll(self._redis, self.store.stream, self.health)
        except (RedisError, OSError) as redis_error:
            logger.warning("%s: cannot record health: %s", self.source.name, redis_error)
        if error != self._last_logged_error:
            logger.warning(
                "%s: poll failed (%s): %s; next poll in %.2f s",
                self.source.name,
                outcome,
                error,
                delay,
            )
            self._last_logged_error = error
        return PollResult(
            source=self.source.name,
            outcome=outcome,
            ok=False,
            status=status,
            fetch_seconds=seconds,
            next_delay=delay,
            error=error,
        )

    def _log(self, result: PollResult, diff: Diff | None) -> None:
        if result.appended:
            logger.info(
                "%s: +%d added, %d edited, %d deleted (%d entries); fetch %.1f ms,"
                " detection latency %.1f ms",
                result.source,
                result.added,
                result.edited,
                result.deleted,
                result.entries or 0,
                result.fetch_seconds * 1000,
                (result.latency or 0.0) * 1000,
            )
        else:
            logger.debug(
                "%s: %s, nothing new (%s); fetch %.1f ms",
                result.source,
                result.outcome,
                "unchanged" if diff is None else f"{result.entries} entries",
                result.fetch_seconds * 1000,
            )

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
        while not stop.is_set():
            last = await self.poll_once()
            polls += 1
            if burst:
                if not last.ok or not last.changed or polls >= burst_polls:
                    return last
                continue
            await _sleep_or_stop(stop, last.next_delay)
        return last


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    if seconds <= 0:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
