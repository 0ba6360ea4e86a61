"""Every configured source polled at once, in one process: what ``soiree ingest`` runs.

:func:`run_ingest` opens one aiohttp session (one per-host request cap shared by every source),
starts one :class:`~ingest.polling.poller.SourcePoller` per source, and runs them until ``stop`` is
set (or, with ``burst``, until each has polled until nothing changed). Pollers never raise for their
source's faults; should one raise anyway, the others carry on. ``soiree demo`` and the tests call
it in-process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

import aiohttp
from redis.asyncio import Redis

from ingest.model.night import Night
from ingest.model.settings import DEFAULT_STREAM_MAXLEN
from ingest.polling.fetch import Fetcher
from ingest.polling.poll_result import PollResult, PollTotals
from ingest.polling.poller import DEFAULT_BURST_POLLS, SourcePoller
from ingest.polling.recorder import Recorder, RecordingFetcher
from ingest.runtime.aio import cancel_until_done
from ingest.sources.config import IngestConfig
from ingest.sources.source_config import DEFAULT_USER_AGENT
from ingest.store.redis_client import StoreLimits, bounded_client
from ingest.store.store_probe import StoreProbe
from ingest.store.stream_store import StreamStore

__all__ = ["DEFAULT_STORE_LIMITS", "STOP_GRACE", "IngestReport", "run_ingest"]

logger = logging.getLogger(__name__)

#: The pollers' Redis calls: replies within 5 s, 64 connections at most (the rest wait).
DEFAULT_STORE_LIMITS: Final = StoreLimits()
#: Seconds the pollers get to finish the poll under way once told to stop, before they are
#: cancelled (a source hanging until its total timeout must not hold up a shutdown).
STOP_GRACE: Final = 2.0


@dataclass(slots=True)
class IngestReport:
    """The last poll of each source (None if it never polled), and what all its polls
    appended, by source name."""

    last: dict[str, PollResult | None] = field(default_factory=dict)
    totals: dict[str, PollTotals] = field(default_factory=dict)

    @property
    def failed(self) -> list[str]:
        """Sources whose last poll failed (or that never polled)."""
        return [name for name, result in self.last.items() if result is None or not result.ok]


async def run_ingest(
    config: IngestConfig,
    redis: Redis,
    *,
    night: Night,
    stream: str,
    stop: asyncio.Event | None = None,
    burst: bool = False,
    burst_polls: int = DEFAULT_BURST_POLLS,
    maxlen: int = DEFAULT_STREAM_MAXLEN,
    on_poller: Callable[[SourcePoller], None] | None = None,
    on_poll: Callable[[PollResult], None] | None = None,
    store_limits: StoreLimits = DEFAULT_STORE_LIMITS,
    recorder: Recorder | None = None,
) -> IngestReport:
    """Poll every source of ``config`` into ``stream`` until ``stop`` (or the burst) ends.

    The pollers write through a client of their own on ``redis``'s server
    (:func:`~ingest.store.redis_client.bounded_client`, within ``store_limits``). ``on_poller``
    sees each poller once created (tests read their health from it), ``on_poll`` the result of
    every poll of every source as it finishes. With ``recorder``, every response is also
    written to its recording (:mod:`ingest.polling.recorder`).
    """
    stop = stop or asyncio.Event()
    # The pollers' own client: every reply bounded (a hung Redis must not hold a poll), and
    # a pool that makes a thousand pollers wait their turn instead of failing past 100.
    writer = bounded_client(redis, store_limits)
    # Whether Redis answers, asked on a connection of its own (ingest.store.store_probe).
    prober = bounded_client(redis, replace(store_limits, max_connections=1, retries=0))
    probe = StoreProbe(prober)
    try:
        return await _run_pollers(
            config, writer, night=night, stream=stream, stop=stop, burst=burst,
            burst_polls=burst_polls, maxlen=maxlen, on_poller=on_poller, on_poll=on_poll,
            probe=probe, recorder=recorder,
        )  # fmt: skip
    finally:
        await probe.close()
        await prober.aclose()
        await writer.aclose()


async def _run_pollers(
    config: IngestConfig,
    redis: Redis,
    *,
    night: Night,
    stream: str,
    stop: asyncio.Event,
    burst: bool,
    burst_polls: int,
    maxlen: int,
    on_poller: Callable[[SourcePoller], None] | None,
    on_poll: Callable[[PollResult], None] | None,
    probe: StoreProbe,
    recorder: Recorder | None = None,
) -> IngestReport:
    store = StreamStore(redis, stream, maxlen=maxlen)
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, ttl_dns_cache=300)
    report = IngestReport()
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
    ) as session:
        fetcher = Fetcher(session, max_per_host=config.max_per_host, user_agent=DEFAULT_USER_AGENT)
        if recorder is not None:
            fetcher = RecordingFetcher(
                session, recorder, sources={source.url: source.name for source in config.sources},
                max_per_host=config.max_per_host, user_agent=DEFAULT_USER_AGENT,
            )  # fmt: skip
        pollers = [
            SourcePoller(
                source,
                night=night,
                redis=redis,
                store=store,
                fetcher=fetcher,
                probe=probe,
                on_poll=on_poll,
            )
            for source in config.sources
        ]
        for poller in pollers:
            report.last[poller.source.name] = None
            if on_poller is not None:
                on_poller(poller)
        tasks = [
            asyncio.create_task(poller.run(stop, burst=burst, burst_polls=burst_polls))
            for poller in pollers
        ]
        try:
            await _until_done_or_stopped(tasks, stop)
        except BaseException:
            # Cancelled from outside (or worse): never leave pollers running on a closed session.
            await cancel_until_done(tasks)
            raise
    for poller, task in zip(pollers, tasks, strict=True):
        report.last[poller.source.name] = poller.last_result
        report.totals[poller.source.name] = poller.totals
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            logger.error("%s: poller stopped: %r", poller.source.name, error, exc_info=error)
    return report


async def _until_done_or_stopped(tasks: Sequence[asyncio.Task[Any]], stop: asyncio.Event) -> None:
    """Wait for every task; once ``stop`` is set, give them STOP_GRACE, then cancel the rest.

    Cancelling a poll is safe at any point: what it appended is deduped when offered again, and
    its lock is released on the way out (or expires).
    """
    stopped = asyncio.create_task(stop.wait())
    try:
        pending: set[asyncio.Task[Any]] = set(tasks)
        while pending and not stop.is_set():
            _, pending = await asyncio.wait(
                {*pending, stopped}, return_when=asyncio.FIRST_COMPLETED
            )
            pending.discard(stopped)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=STOP_GRACE)
        # What each task ended with is the caller's to read (task.exception()).
        await cancel_until_done(pending)
    finally:
        stopped.cancel()
