"""Reading the stream back: updates after a cursor, retention gaps, blocking reads, the tail.

:class:`ReadableStream` turns the entries that :class:`~ingest.store.stream_store.StreamStore`
appends (one per update: ``uid``, ``op`` and ``data``, the JSON of ``Update.to_json()`` without
id, uid and op; the entry id is the update's ``id``) back into :class:`Update` s. An entry that
does not parse (written by something else) is logged and skipped, never fatal.

Retention keeps the newest ``maxlen`` entries, and remembers the id of the newest entry it ever
trimmed (:func:`ingest.store.keys.trimmed_key`): :meth:`ReadableStream.history` compares a
client's ``since`` with it and reports a gap instead of silently skipping.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import Any, Final

from redis.asyncio import Redis

from ingest.model.stream_ids import check_since, parse_stream_id
from ingest.model.update import Update
from ingest.store import keys
from ingest.store.confirmed_reads import read_entries
from ingest.store.sentinel import check_confirmed, confirmation

__all__ = ["History", "ReadBatch", "ReadableStream"]

logger = logging.getLogger(__name__)

_HISTORY_CHUNK: Final = 1000
# Reads of a history chunk before giving up on one that no trim raced (see _range_after).
_CONSISTENT_READ_ATTEMPTS: Final = 3


def _newer(candidate: str | None, than: str) -> bool:
    return candidate is not None and parse_stream_id(candidate) > parse_stream_id(than)


@dataclass(frozen=True, slots=True)
class History:
    """Retained updates after a cursor, and whether retention trimmed some of them.

    ``gap`` is True when entries after ``since`` were trimmed before they could be read: the
    reader missed updates and must be told. ``last_id`` is the id of the last entry read
    (including skipped malformed ones): resume from it.
    """

    updates: list[Update]
    gap: bool
    first_retained_id: str | None
    last_trimmed_id: str | None
    last_id: str | None = None


class ReadBatch(list[Update]):
    """The updates of one read, and ``last_id``: the cursor to read after next time.

    ``last_id`` moves past malformed entries that were skipped, so a reader never re-reads them.
    """

    def __init__(self, updates: Iterable[Update] = (), *, last_id: str) -> None:
        super().__init__(updates)
        self.last_id = last_id


class ReadableStream:
    """One Redis stream, read back as updates.

    ``redis`` must decode responses (as :func:`ingest.store.redis_client.connect` clients do).
    """

    def __init__(self, redis: Redis, stream: str) -> None:
        if not redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError(
                f"{type(self).__name__} needs a client made with decode_responses=True "
                "(ingest.store.redis_client.connect makes one)"
            )
        self._redis = redis
        self.stream = stream

    @property
    def redis(self) -> Redis:
        """The client this store uses (shared with whoever made it)."""
        return self._redis

    async def history(self, *, since: str | None = None, count: int | None = None) -> History:
        """Retained updates with ids after ``since`` (None or ``"0"``: all), at most ``count``.

        ``gap`` is True when ``since`` is an entry id and entries after it were trimmed. With
        ``since="$"`` nothing is returned, and ``last_id`` is the stream's current last id.
        Behind Sentinel, a page of entries no replica confirmed within ``wait_ms`` is
        :class:`~ingest.store.sentinel.NotReplicatedError` (as :meth:`read_after` holds them back).
        """
        cursor = check_since(since)
        if count is not None and count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        if cursor == "$":
            return await self._present()
        updates: list[Update] = []
        gap = False
        first_retained: str | None = None
        last_trimmed: str | None = None
        first = True
        while True:
            want = _HISTORY_CHUNK if count is None else min(_HISTORY_CHUNK, count - len(updates))
            trimmed, head, entries = await self._range_after(cursor, want, with_head=first)
            if first:
                first_retained = head
                first = False
            last_trimmed = trimmed
            # Each chunk is read together with the trimmed id, so a trim racing the reads is seen.
            if cursor is not None and _newer(trimmed, cursor):
                gap = True
            updates.extend(self._parse_entries(entries))
            if entries:
                cursor = entries[-1][0]
            if len(entries) < want or (count is not None and len(updates) >= count):
                break
        return History(updates, gap, first_retained, last_trimmed, cursor)

    async def _range_after(
        self, cursor: str | None, count: int, *, with_head: bool
    ) -> tuple[str | None, str | None, list[Any]]:
        """The trimmed id, the first retained id, and entries after ``cursor``, consistent.

        Read in one pipeline without MULTI (a Redis over ``maxmemory`` refuses MULTI, and reads
        must work then): the trimmed id is read before and after the entries; retention moves
        it in the same script that trims, so when both reads agree no trim ran in between. If
        they differ, the read is made again; the last one counts, which can at worst report a
        gap that a trim made just after the entries were read.
        """
        wanted = confirmation(self._redis)
        for _attempt in range(_CONSISTENT_READ_ATTEMPTS):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(keys.trimmed_key(self.stream))
                if with_head:
                    pipe.xrange(self.stream, "-", "+", count=1)
                pipe.xrange(self.stream, "-" if cursor is None else f"({cursor}", "+", count=count)
                pipe.get(keys.trimmed_key(self.stream))
                if wanted is not None:  # behind Sentinel: hand out only what a replica has
                    pipe.execute_command("WAIT", *wanted)
                results = await pipe.execute()
            if wanted is not None:
                confirmed = results.pop()
                if results[-2]:
                    check_confirmed(confirmed, wanted, f"{self.stream}: the entries read")
            if results[0] == results[-1]:
                break
        head = results[1][0][0] if with_head and results[1] else None
        return results[-1], head, results[-2] or []

    async def _present(self) -> History:
        # No MULTI either (see _range_after): each figure is read once, in this order.
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(keys.trimmed_key(self.stream))
            pipe.xrange(self.stream, "-", "+", count=1)
            pipe.xrevrange(self.stream, "+", "-", count=1)
            trimmed, head, tail = await pipe.execute()
        return History(
            updates=[],
            gap=False,
            first_retained_id=head[0][0] if head else None,
            last_trimmed_id=trimmed,
            last_id=tail[0][0] if tail else None,
        )

    async def read_after(self, since: str, *, block_ms: int, count: int) -> ReadBatch:
        """One blocking XREAD: up to ``count`` updates after ``since`` (``"$"``: only new ones).

        Returns an empty batch when nothing came within ``block_ms`` (behind Sentinel, also
        when no replica confirmed what came: :mod:`ingest.store.confirmed_reads`). ``block_ms``
        must be shorter than the client's socket timeout. The batch's ``last_id`` is where to
        go on.
        """
        self._check_block(block_ms)
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        cursor = check_since(since) or "0-0"
        if cursor == "$":
            # Pin "$" to an id, so that nothing appended between two reads is missed.
            cursor = await self.last_id() or "0-0"
        while True:
            entries = await read_entries(
                self._redis, self.stream, cursor, count=count, block_ms=block_ms
            )
            if not entries:
                return ReadBatch(last_id=cursor)
            cursor = entries[-1][0]
            updates = self._parse_entries(entries)
            if updates:
                return ReadBatch(updates, last_id=cursor)
            # All malformed (and skipped): read on rather than hand back an empty batch.

    async def tail(
        self, since: str, *, block_ms: int = 5000, count: int = 500
    ) -> AsyncGenerator[Update, None]:
        """Every update after ``since`` (``"$"``: only new ones), in order, forever."""
        cursor = since
        while True:
            batch = await self.read_after(cursor, block_ms=block_ms, count=count)
            cursor = batch.last_id
            for update in batch:
                yield update

    def _check_block(self, block_ms: int) -> None:
        if block_ms < 0:
            raise ValueError(f"block_ms must not be negative, got {block_ms}")
        timeout = self._redis.connection_pool.connection_kwargs.get("socket_timeout")
        if timeout is not None and (block_ms == 0 or block_ms >= timeout * 1000):
            raise ValueError(
                f"block_ms={block_ms} would outlast the client's socket timeout ({timeout} s): "
                "block for less, or connect with a longer socket_timeout"
            )

    async def last_id(self) -> str | None:
        """The id of the newest entry, or None if the stream is empty or absent."""
        entries = await self._redis.xrevrange(self.stream, "+", "-", count=1)
        return str(entries[0][0]) if entries else None

    async def length(self) -> int:
        """How many entries the stream holds."""
        return int(await self._redis.xlen(self.stream))

    def _parse_entries(self, entries: Iterable[Any]) -> list[Update]:
        parsed = (self._parse_entry(entry_id, fields) for entry_id, fields in entries)
        return [update for update in parsed if update is not None]

    def _parse_entry(self, entry_id: str, fields: Any) -> Update | None:
        try:
            data = json.loads(fields["data"])
            return Update.from_json(
                {**data, "uid": fields["uid"], "op": fields["op"], "id": entry_id}
            )
        except (KeyError, TypeError, ValueError) as error:
            # KeyError: a missing field; TypeError: data not a JSON object (or no fields at
            # all); ValueError: data not JSON, or an invalid update (UpdateError).
            logger.warning("skipping malformed entry %s of %s: %r", entry_id, self.stream, error)
            return None
