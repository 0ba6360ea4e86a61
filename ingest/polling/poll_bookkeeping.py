"""A poll's bookkeeping: its health, when to poll next, its log line, its record in Redis.

:class:`PollBookkeeper` holds one source's :class:`~ingest.sources.source_health.SourceHealth`
(carried on from the one a previous poller left in Redis), turns a good or failed poll into a
:class:`~ingest.polling.poll_result.PollResult` with the delay until the next poll
(:func:`ingest.runtime.backoff.next_poll_delay`: backoff after failures, ``Retry-After``,
``max-age``), writes the health (as :func:`ingest.store.health.record_poll` does, batched
with other sources' by :mod:`ingest.store.health_batch`, within :data:`HEALTH_TIMEOUT`; skipped
while Redis is silent) and logs the poll: a failure once per new error, not at every poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

from ingest.model.update import Op, Update
from ingest.polling.fetch_result import FetchResult
from ingest.polling.poll_result import PollResult
from ingest.runtime.backoff import Backoff, next_poll_delay
from ingest.sources.entry_diff import Diff
from ingest.sources.flapping import Admission
from ingest.sources.parsed_document import ParsedDocument
from ingest.sources.source_config import SourceConfig
from ingest.sources.source_health import SourceHealth
from ingest.store.health import read_health
from ingest.store.health_batch import shared_batcher
from ingest.store.redis_errors import describe_refusal
from ingest.store.stream_store import AppendOutcome

__all__ = ["HEALTH_TIMEOUT", "PollBookkeeper", "said"]

logger = logging.getLogger(__name__)

#: Seconds the health record of a poll may take to write (skipped while Redis is silent).
HEALTH_TIMEOUT: Final = 5.0


class PollBookkeeper:
    """One source's health and schedule, kept and recorded poll after poll."""

    def __init__(
        self, source: SourceConfig, *, redis: Redis, stream: str, draw: Callable[[], float]
    ) -> None:
        self.source = source
        self._redis = redis
        self._stream = stream
        self._draw = draw
        self._backoff = Backoff(interval=source.interval, max_backoff=source.max_backoff)
        self.health = SourceHealth(
            source=source.name, type=source.type.value, url=source.url, interval=source.interval
        )
        #: The warning of the last document read (a 304 keeps it: its condition still holds).
        self.document_warning: str | None = None
        self._last_logged_error: str | None = None
        #: Why the health could not be written last time (said once, until it is written).
        self._unrecorded: str | None = None
        self._loaded = False

    def _health_not_recorded(self, error: BaseException) -> None:
        """Say why the health could not be written, once while the reason stays the same."""
        reason = said(error)
        if reason != self._unrecorded:
            logger.warning("%s: cannot record health: %s", self.source.name, reason)
        self._unrecorded = reason

    async def load(self, *, silent: bool) -> None:
        """Carry on from the health a previous poller of this source left (last success...).

        Never holds up the poll: while Redis is ``silent`` (or if it does not answer in time)
        the poll goes on, and the next one tries again.
        """
        if self._loaded or silent:
            return
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                previous = await read_health(self._redis, self._stream, self.source.name)
        except (RedisError, OSError) as error:
            logger.debug("%s: cannot read the previous health: %s", self.source.name, error)
            return
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
                last_warning=previous.last_warning,
                skipped=previous.skipped,
            )
            self.document_warning = previous.last_warning
        self._loaded = True

    def dropping(self, dropped: int) -> None:
        """``dropped`` documents have been dropped unwritten so far."""
        self.health = self.health.dropping(dropped)

    async def succeed(
        self,
        fetched: FetchResult,
        *,
        diff: Diff[Update] | None,
        outcomes: Sequence[AppendOutcome],
        entries: int | None,
        warning: str | None,
        on_stream: float | None = None,
        document: ParsedDocument | None,
        admission: Admission | None = None,
    ) -> PollResult:
        """Record a good poll; ``document`` is what it read (None for a 304)."""
        added = sum(1 for o in outcomes if o.appended and o.op is Op.ADD)
        edited = sum(1 for o in outcomes if o.appended and o.op is Op.EDIT)
        deleted = sum(1 for o in outcomes if o.appended and o.op is Op.DELETE)
        appended = added + edited + deleted
        latency = None
        if appended and on_stream is not None and on_stream >= fetched.finished:
            # (Written before this fetch ended: documents kept from earlier polls.)
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
            skipped=None if document is None else document.skipped,
            read=document is not None,
            flapping=None if admission is None else len(admission.flapping),
            held=None if admission is None else admission.held,
            slot_wait_seconds=fetched.slot_wait,
        )
        delay = next_poll_delay(
            self._backoff,
            failures=0,
            retry_after=fetched.retry_after,
            max_age=fetched.max_age,
            draw=self._draw,
        )
        self.health = self.health.scheduled(now + timedelta(seconds=delay))
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                await shared_batcher(self._redis).record(
                    self._stream, self.health, appended=appended
                )
        except (RedisError, OSError) as error:
            # The poll itself went well (what it found is on the stream): its health waits
            # for the next one.
            self._health_not_recorded(error)
        else:
            self._unrecorded = None
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
        _log(result, diff)
        return result

    async def fail(
        self,
        outcome: str,
        error: str,
        status: int | None,
        seconds: float,
        fetched: FetchResult | None,
        *,
        backoff: bool = True,
        record: bool = True,
        silent: bool = False,
    ) -> PollResult:
        """Record a failed poll (not in Redis unless ``record`` and Redis is not ``silent``)."""
        now = datetime.now(UTC)
        self.health = self.health.failed(
            now=now, outcome=outcome, error=error, status=status, poll_seconds=seconds,
            slot_wait_seconds=None if fetched is None else fetched.slot_wait,
        )  # fmt: skip
        delay = next_poll_delay(
            self._backoff,
            failures=self.health.consecutive_errors if backoff else 0,
            retry_after=None if fetched is None else fetched.retry_after,
            draw=self._draw,
        )
        self.health = self.health.scheduled(now + timedelta(seconds=delay))
        try:
            if record and not silent:
                async with asyncio.timeout(HEALTH_TIMEOUT):
                    await shared_batcher(self._redis).record(self._stream, self.health)
                self._unrecorded = None
        except (RedisError, OSError) as redis_error:
            self._health_not_recorded(redis_error)
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


def _log(result: PollResult, diff: Diff[Update] | None) -> None:
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


def said(error: BaseException) -> str:
    """An error in words (a timeout's own words are empty; Redis refusing writes, its meaning)."""
    if isinstance(error, TimeoutError) and not str(error):
        return "no answer in time"
    return describe_refusal(error) or str(error) or type(error).__name__
