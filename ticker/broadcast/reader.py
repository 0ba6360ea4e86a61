"""The broadcaster's one Redis reader, and its warm-up.

A single task does :meth:`StreamStore.read_after` in a loop, from the last id it read; if Redis
goes away it retries with jittered exponential backoff and resumes from that id, so no update
is lost or repeated. Each update read is encoded once
(:class:`~ticker.wire.ws_frames.EncodedUpdate`: the complete websocket frame) and handed to the
broadcaster (``deliver``), which applies it to the snapshot state and fans it out.

**Warm-up.** The reader starts from the stream's start: it is *warm* once it has read up to the
id the stream ended at when it started (what the memory window and the snapshot need). Until
then, a client without ``since`` waits for its ``hello`` (:attr:`StreamReader.warm`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Final

from redis.exceptions import RedisError

from ingest.runtime.backoff import Backoff
from ingest.runtime.retrying import retrying
from ingest.store.stream_reads import ReadBatch
from ingest.store.stream_store import StreamStore
from ticker.broadcast.metrics import BroadcasterMetrics
from ticker.wire.stream_positions import SINCE_START, id_key
from ticker.wire.ws_frames import EncodedUpdate

__all__ = ["ORIGIN", "StreamReader"]

logger = logging.getLogger(__name__)

#: The position of a reader that has read nothing (the key of no id).
ORIGIN: Final = (0, 0)
# Reconnecting to Redis: 50 ms doubling up to 1 s, with jitter. One reader per process: trying
# every second costs Redis nothing, and clients get the night again within about a second of
# Redis coming back (docs/reliability.md), not after a 5 s wait.
_REDIS_BACKOFF: Final = Backoff(interval=0.05, max_backoff=1.0)

#: What the reader hands over: a batch read (encoded), and whether the reader was warm.
Deliver = Callable[[list[EncodedUpdate], bool], None]


class StreamReader:
    """The one reader of a stream (see the module docstring); :meth:`run` is its task."""

    def __init__(
        self,
        store: StreamStore,
        *,
        block_ms: int,
        read_count: int,
        metrics: BroadcasterMetrics,
        deliver: Deliver,
        on_warm: Callable[[], object],
    ) -> None:
        self._store = store
        self._block_ms = block_ms
        self._read_count = read_count
        self._metrics = metrics
        self._deliver = deliver
        self._on_warm = on_warm
        #: The last stream id read, and its key.
        self.position: str | None = None
        self.position_key: tuple[int, int] = ORIGIN
        #: Set (and replaced) each time the reader moves on or becomes warm: joining clients
        #: wait on it (:mod:`ticker.broadcast.joining`: not long without it being set).
        self.moved = asyncio.Event()
        #: Set once the reader has read what the stream held when it started.
        self.warm = asyncio.Event()
        #: Whether the last read succeeded.
        self.ok = True
        self._stopping = False

    def stop(self) -> None:
        """Read no more (the task is cancelled too: a blocking read may swallow that)."""
        self._stopping = True

    def _move_to(self, position: str | None) -> None:
        self.position = position
        self.position_key = ORIGIN if position is None else id_key(position)
        if position is not None:
            self._wake()

    def _wake(self) -> None:
        """Wake whoever waits on :attr:`moved` (the reader moved on, or became warm)."""
        self.moved.set()
        self.moved = asyncio.Event()

    async def run(self) -> None:
        """Read after the last id, deliver, again; retry when Redis fails.

        It starts from the stream's start, and is warm once past the id the stream ended at
        then (what the memory window and the snapshot need is read). Redis errors are retried
        by :func:`ingest.runtime.retrying.retrying`, with backoff, from the last id read.
        """
        stream = self._store.stream
        warm_at: tuple[int, int] | None = None
        attempts = retrying(_REDIS_BACKOFF, retry_on=(RedisError, OSError), on_failure=self._failed)
        async with contextlib.aclosing(attempts):
            async for attempt in attempts:
                with attempt:
                    while not self._stopping:
                        if warm_at is None and not self.warm.is_set():
                            end = await self._store.last_id()
                            warm_at = ORIGIN if end is None else id_key(end)
                            warm_at = self._warm_if_past(warm_at)
                        batch = await self._store.read_after(
                            self.position or SINCE_START,
                            block_ms=self._block_ms,
                            count=self._read_count,
                        )
                        if not attempt.recovered:
                            if attempt.failures:
                                logger.warning(
                                    "reading %s again after %d failures", stream, attempt.failures
                                )
                            attempt.succeeded()
                        warm_at = self._read(batch, warm_at)

    def _read(self, batch: ReadBatch, warm_at: tuple[int, int] | None) -> tuple[int, int] | None:
        """Take in one batch read; return the id the warm-up still awaits (None: warm)."""
        self.ok = True
        self._metrics.redis_up.set(1)
        entries = [EncodedUpdate.of(update) for update in batch]
        if batch.last_id != SINCE_START:  # what an empty read of an empty stream says
            self._move_to(batch.last_id)
        if entries:
            warm = self.warm.is_set()
            if warm:  # the start's reading is no lag
                self._observe(entries)
            self._deliver(entries, warm)
        return None if warm_at is None else self._warm_if_past(warm_at)

    def _failed(self, error: BaseException, delay: float) -> None:
        """A read failed: say so (a warning for the first of a series), before the wait."""
        first = self.ok
        self.ok = False
        self._metrics.redis_up.set(0)
        self._metrics.redis_read_errors.inc()
        log = logger.warning if first else logger.debug
        log("reading %s failed (%s); retrying in %.2f s", self._store.stream, error, delay)

    def _warm_if_past(self, warm_at: tuple[int, int]) -> tuple[int, int] | None:
        """Become warm if the reader is at or past ``warm_at``; return what is still awaited."""
        if self.position_key < warm_at:
            return warm_at
        self._on_warm()
        self.warm.set()
        self._wake()
        logger.info("read %s up to %s: warm", self._store.stream, self.position)
        return None

    def _observe(self, entries: list[EncodedUpdate]) -> None:
        now = time.time()
        metrics = self._metrics
        metrics.updates_read.inc(len(entries))
        # The oldest entry of the batch waited longest; the id's time is the append's.
        metrics.read_lag.observe(max(0.0, now - entries[0].key[0] / 1000))
        metrics.last_id_time.set(entries[-1].key[0] / 1000)
