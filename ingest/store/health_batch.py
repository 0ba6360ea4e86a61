"""Health records of many sources written together: one round trip for all that are ready.

A thousand sources in one process record their health 200 times a second (every poll, a ``304``
too), each a round trip of its own that waits for the Redis server to be scheduled.
:class:`HealthBatcher` writes, in one ``MULTI`` pipeline, every record handed to it while the
previous pipeline was in flight (group commit): alone, a record is written at once, as
:func:`ingest.store.health.record_poll` would; under load, in batches, without any timer. Two
records of one source waiting together are merged (the newer fields, the counters summed).

Each caller waits for its own record's write and gets its error (a timeout of its own is the
caller's: the write goes on). :func:`shared_batcher` gives each client one batcher (in the
loop that uses it).
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import Final

from redis.asyncio import Redis

from ingest.runtime.aio import cancel_until_done
from ingest.sources.source_health import SourceHealth
from ingest.store import keys

__all__ = ["HealthBatcher", "shared_batcher"]

# Commands per record in a batch (HSET, HINCRBY polls, HINCRBY appended, SADD).
_COMMANDS: Final = 4


@dataclass(slots=True)
class _Pending:
    """One source's record waiting to be written, and the callers waiting for it."""

    stream: str
    health: SourceHealth
    polls: int = 1
    appended: int = 0
    written: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class HealthBatcher:
    """Writes health records for one client, each batch in one round trip."""

    def __init__(self, redis: Redis) -> None:
        # Weakly: the shared batcher of a client lives as long as the client, not longer.
        self._redis = weakref.ref(redis)
        self.loop = asyncio.get_running_loop()
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._writer: asyncio.Task[None] | None = None

    async def record(self, stream: str, health: SourceHealth, *, appended: int = 0) -> None:
        """Write ``health`` (as :func:`ingest.store.health.record_poll`) with the next batch;
        return once it is written, or raise what writing that batch raised."""
        slot = (stream, health.source)
        pending = self._pending.get(slot)
        if pending is None:
            pending = self._pending[slot] = _Pending(stream, health, appended=appended)
        else:  # the same source twice before a write: one record, its counters summed
            pending.health = health
            pending.polls += 1
            pending.appended += appended
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name="soiree health batch")
        # Shielded: a caller that gives up (its own timeout) leaves the batch to the others.
        await asyncio.shield(pending.written)

    async def _write_all(self) -> None:
        """Write batches until none is waiting."""
        while self._pending:
            batch, self._pending = self._pending, {}
            try:
                errors = await self._write(list(batch.values()))
            except Exception as error:  # noqa: BLE001 (each caller gets it, and reports it)
                errors = [error] * len(batch)
            except BaseException:  # closed (cancelled): what waits is cancelled too
                for pending in (*batch.values(), *self._pending.values()):
                    pending.written.cancel()
                self._pending = {}
                raise
            for pending, failure in zip(batch.values(), errors, strict=True):
                if failure is None:
                    pending.written.set_result(None)
                else:
                    pending.written.set_exception(failure)
                    # Its callers may all have given up (timed out): never "never retrieved".
                    pending.written.exception()

    async def _write(self, batch: list[_Pending]) -> list[Exception | None]:
        """Write ``batch`` in one MULTI; each record's error (None: written)."""
        redis = self._redis()
        if redis is None:
            raise RuntimeError("the Redis client is gone")
        async with redis.pipeline(transaction=True) as pipe:
            for pending in batch:
                key = keys.health_key(pending.stream, pending.health.source)
                pipe.hset(key, mapping=pending.health.to_hash())  # type: ignore[arg-type]
                pipe.hincrby(key, "polls", pending.polls)
                pipe.hincrby(key, "appended", pending.appended)
                pipe.sadd(keys.sources_key(pending.stream), pending.health.source)
            replies = await pipe.execute(raise_on_error=False)
        errors: list[Exception | None] = []
        for index in range(len(batch)):
            own = replies[_COMMANDS * index : _COMMANDS * (index + 1)]
            errors.append(next((reply for reply in own if isinstance(reply, Exception)), None))
        return errors

    async def close(self) -> None:
        """Stop writing (what waits fails with CancelledError)."""
        if self._writer is not None:
            errors = await cancel_until_done([self._writer])  # a lost cancellation: again
            if errors:
                raise errors[0]


_SHARED: weakref.WeakKeyDictionary[Redis, HealthBatcher] = weakref.WeakKeyDictionary()


def shared_batcher(redis: Redis) -> HealthBatcher:
    """The batcher of ``redis`` in the running loop (created on first use)."""
    batcher = _SHARED.get(redis)
    if batcher is None or batcher.loop is not asyncio.get_running_loop():
        batcher = _SHARED[redis] = HealthBatcher(redis)
    return batcher
