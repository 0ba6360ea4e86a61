"""The stream store: updates in and out of one Redis stream, a thin shell over redis-py asyncio.

Appending is one server-side step, :data:`~ingest.store.append_script.APPEND_SCRIPT` (a Lua
script run by EVALSHA, for one update or a chunk of them, with its argument format and replies in
:mod:`ingest.store.append_script`; its names are re-exported here, the store's API), so the
dedupe check, the op decision (add / edit / delete), the XADD and retention happen atomically:
two pollers appending the same update write it once, and an edit is written once as ``edit``.
Every retry of an append (by redis-py after a dropped connection, or by a caller re-sending a
batch) is therefore harmless.

One stream entry per update, with three fields::

    uid   the update's uid
    op    add | edit | delete
    data  JSON of Update.to_json() without id, uid and op (that is: seen + the content)

and its entry id is the update's ``id``. Reading turns entries back into :class:`Update` s; an
entry that does not parse (written by something else) is logged and skipped, never fatal.

Retention keeps the newest ``maxlen`` entries (exact ``XTRIM MAXLEN``), and remembers the id of
the newest entry it ever trimmed (:func:`ingest.store.keys.trimmed_key`):
:meth:`StreamStore.history` compares a client's ``since`` with it and reports a gap instead of
silently skipping.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import NoScriptError, ResponseError

from ingest.model.settings import DEFAULT_STREAM_MAXLEN
from ingest.model.stream_ids import check_since, parse_stream_id
from ingest.model.update import Op, Update
from ingest.store import keys
from ingest.store.append_script import (
    APPEND_SCRIPT,
    AppendOutcome,
    Fence,
    FencedError,
    append_record,
    outcome_of,
)
from ingest.store.confirmed_reads import read_entries
from ingest.store.sentinel import (
    NotReplicatedError,
    ReplicatedRedis,
    check_confirmed,
    confirmation,
)

__all__ = [
    "APPEND_SCRIPT",
    "AppendOutcome",
    "Fence",
    "FencedError",
    "History",
    "ReadBatch",
    "StreamStore",
]

logger = logging.getLogger(__name__)

# Updates per script call in append_many: enough to amortise the call, short enough (a
# couple of milliseconds of server time) not to stall other clients.
_APPEND_CHUNK: Final = 128
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


class StreamStore:
    """Append updates to, and read them from, one Redis stream.

    ``redis`` must decode responses (as :func:`ingest.store.redis_client.connect` clients do).
    ``maxlen`` bounds the stream: older entries are trimmed, and readers told so.
    """

    def __init__(self, redis: Redis, stream: str, *, maxlen: int = DEFAULT_STREAM_MAXLEN) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {maxlen}")
        if not redis.connection_pool.connection_kwargs.get("decode_responses"):
            raise ValueError(
                "StreamStore needs a client made with decode_responses=True "
                "(ingest.store.redis_client.connect makes one)"
            )
        self._redis = redis
        self.stream = stream
        self.maxlen = maxlen
        self._keys = (stream, keys.seen_key(stream), keys.trimmed_key(stream))
        self._script = redis.register_script(APPEND_SCRIPT)
        self._script_loaded = False
        # Behind Sentinel: each append waits for replicas (ingest/store/sentinel.py).
        self._replicated = redis if isinstance(redis, ReplicatedRedis) else None

    @property
    def redis(self) -> Redis:
        """The client this store uses (shared with whoever made it)."""
        return self._redis

    async def reset_dedupe(self) -> None:
        """Forget which uids were appended: the next append of each is an ``add`` again.

        For a replay that loops: each pass appends the night anew after the entries of the
        last one (the entries stay; readers see the night start again).
        """
        wanted = confirmation(self._redis)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.delete(keys.seen_key(self.stream))
            if wanted is not None:  # lost in a failover, the next pass would be "duplicates"
                pipe.execute_command("WAIT", *wanted)
            _, *confirmed = await pipe.execute()
        if wanted is not None:
            check_confirmed(confirmed[0], wanted, f"{self.stream}: the dedupe reset")

    # -- writing ------------------------------------------------------------------------------

    def _chunk_args(
        self, updates: Sequence[Update], fence: Fence | None
    ) -> list[bytes | str | int]:
        """EVALSHA's arguments after the script's sha: its keys, then ARGV for ``updates``."""
        keys_count = len(self._keys) + (fence is not None)
        args: list[bytes | str | int] = [keys_count, *self._keys]
        if fence is not None:
            args.append(fence.key)
        args.extend((self.maxlen, b"" if fence is None else fence.token))
        args.extend(map(append_record, updates))
        return args

    async def append(self, update: Update) -> AppendOutcome:
        """Append ``update`` unless its uid already has this content (op decided server-side).

        An update whose op is ``delete`` is appended as :meth:`delete` would.
        """
        (outcome,) = await self.append_many([update])
        return outcome

    async def append_many(
        self, updates: Sequence[Update], *, fence: Fence | None = None
    ) -> list[AppendOutcome]:
        """Append several updates, in order: pipelined EVALSHA, each call taking a chunk.

        Each update is decided exactly as :meth:`append` would, seeing the ones before it (the
        same uid twice in a batch is an add, then a duplicate or an edit). On an error,
        re-sending the whole batch is safe: what was written is not written again. With a
        ``fence``, each chunk is written only if the fence still holds (checked in the script,
        atomically with the writes); :class:`FencedError` when it did not.
        """
        chunks = [updates[i : i + _APPEND_CHUNK] for i in range(0, len(updates), _APPEND_CHUNK)]
        if not chunks:
            return []
        if not self._script_loaded:
            self._script.sha = await self._redis.script_load(APPEND_SCRIPT)
            self._script_loaded = True
        replies: list[Any] = [None] * len(chunks)
        pending = list(range(len(chunks)))
        for _attempt in range(2):
            pending = await self._evalsha_chunks(chunks, pending, replies, fence)
            if not pending:
                flat = [reply for chunk in replies for reply in chunk]
                return list(map(outcome_of, flat, updates))
            # The server lost its scripts (restart, SCRIPT FLUSH): load it and redo those.
            self._script.sha = await self._redis.script_load(APPEND_SCRIPT)
        raise NoScriptError("the append script keeps disappearing from the server")

    async def _evalsha_chunks(
        self,
        chunks: Sequence[Sequence[Update]],
        indexes: list[int],
        replies: list[Any],
        fence: Fence | None,
    ) -> list[int]:
        """One EVALSHA per chunk, pipelined; return the indexes of chunks that hit NOSCRIPT.

        Retried as redis-py retries a pipeline (on connection errors and timeouts, with the
        client's backoff): harmless, the appends being idempotent.
        """
        pool = self._redis.connection_pool
        connection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            results = await connection.retry.call_with_retry(
                lambda: self._send_chunks(connection, chunks, indexes, fence),
                lambda _error: connection.disconnect(),
            )
        finally:
            await pool.release(connection)
        missing: list[int] = []
        for index, result in zip(indexes, results, strict=True):
            if isinstance(result, NoScriptError):
                missing.append(index)
            elif isinstance(result, ResponseError) and "FENCED" in str(result):
                raise FencedError(f"{self.stream}: {result}")
            elif isinstance(result, Exception):
                raise result
            else:
                replies[index] = result
        return missing

    async def _send_chunks(
        self,
        connection: Connection,
        chunks: Sequence[Sequence[Update]],
        indexes: list[int],
        fence: Fence | None,
    ) -> list[Any]:
        """Send each chunk as soon as it is encoded, then read every reply.

        A pipeline would encode every chunk before sending the first; sending each at once
        lets the server run chunk k (on another core) while this process encodes chunk k + 1.
        One connection, in order: each update is still decided after the ones before it.
        """
        done = False
        try:
            for position, index in enumerate(indexes):
                command = connection.pack_command(
                    "EVALSHA", self._script.sha, *self._chunk_args(chunks[index], fence)
                )
                await connection.send_packed_command(command, check_health=position == 0)
            results: list[Any] = []
            for _ in indexes:
                try:
                    results.append(await connection.read_response())
                except ResponseError as error:
                    results.append(error)
            replicated = self._replicated
            if replicated is not None and replicated.min_replicas:
                wanted, wait_ms = replicated.min_replicas, replicated.wait_ms
                await connection.send_command("WAIT", wanted, wait_ms)
                confirmed = int(await connection.read_response())
                if confirmed < wanted:
                    done = True
                    raise NotReplicatedError(
                        f"{self.stream}: {confirmed} of {wanted} replicas confirmed the append"
                        f" within {wait_ms} ms"
                    )
            done = True
            return results
        finally:
            if not done:
                # Replies may still be on their way: this connection must not serve anyone else.
                await connection.disconnect(nowait=True)

    async def delete(self, update: Update) -> AppendOutcome:
        """Append a ``delete`` of ``update.uid``, once, if the uid is on the stream and live.

        The entry carries ``update``'s content; unless ``update`` is already a delete, its
        ``seen`` becomes now.
        """
        return await self.append(update if update.op is Op.DELETE else update.as_delete())

    # -- reading ------------------------------------------------------------------------------

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
