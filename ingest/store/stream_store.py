"""The stream store: updates appended to one Redis stream, a thin shell over redis-py asyncio.

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

and its entry id is the update's ``id``. Retention keeps the newest ``maxlen`` entries (exact
``XTRIM MAXLEN``). Reading the entries back, and the gaps retention leaves, is
:class:`~ingest.store.stream_reads.ReadableStream`'s job, which :class:`StreamStore` extends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from redis.asyncio import Redis
from redis.asyncio.connection import Connection
from redis.exceptions import NoScriptError, ResponseError

from ingest.model.settings import DEFAULT_STREAM_MAXLEN
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
from ingest.store.sentinel import (
    NotReplicatedError,
    ReplicatedRedis,
    check_confirmed,
    confirmation,
)
from ingest.store.stream_reads import ReadableStream

__all__ = [
    "APPEND_SCRIPT",
    "AppendOutcome",
    "Fence",
    "FencedError",
    "StreamStore",
]

# Updates per script call in append_many: enough to amortise the call, short enough (a
# couple of milliseconds of server time) not to stall other clients.
_APPEND_CHUNK: Final = 128


class StreamStore(ReadableStream):
    """Append updates to, and read them from, one Redis stream.

    ``redis`` must decode responses (as :func:`ingest.store.redis_client.connect` clients do).
    ``maxlen`` bounds the stream: older entries are trimmed, and readers told so.
    """

    def __init__(self, redis: Redis, stream: str, *, maxlen: int = DEFAULT_STREAM_MAXLEN) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be at least 1, got {maxlen}")
        super().__init__(redis, stream)
        self.maxlen = maxlen
        self._keys = (stream, keys.seen_key(stream), keys.trimmed_key(stream))
        self._script = redis.register_script(APPEND_SCRIPT)
        self._script_loaded = False
        # Behind Sentinel: each append waits for replicas (ingest/store/sentinel.py).
        self._replicated = redis if isinstance(redis, ReplicatedRedis) else None

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
