"""Reading a stream's new entries: one XREAD, and behind Sentinel only what a replica confirmed.

Behind Sentinel (:class:`~ingest.store.sentinel.ReplicatedRedis` with ``min_replicas``), the
primary shows an append to its readers as soon as it has written it, before any replica has it.
A reader handed such an entry passes it on (a broadcaster to its clients); if the primary is then
SIGKILLed, the entry is gone from the stream, the poller (whose append was never acknowledged)
offers it again, and the new primary appends it under a new id: those clients would have the
update twice, and ids the stream does not hold. So :func:`read_entries` follows the XREAD, on the
same connection, by ``WAIT min_replicas wait_ms``; entries not confirmed in time are not handed
out (the caller reads again from the same cursor).

``WAIT`` counts from the replication offset the primary had at the connection's last command
(Redis 7.0); an XREAD that blocked counts from when it blocked, not from the append that served
it, so a PING comes between (without it, an append the replica never had was handed out as
confirmed: seen in the failover test, 1 run in 12). Redis 7.2 and
later count only a connection's own writes: there this ``WAIT`` returns at once, and entries are
handed out as before (``docs/reliability.md``, known limits).
"""

from __future__ import annotations

import logging
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import Connection

from ingest.store.sentinel import ReplicatedRedis

__all__ = ["entries_of", "read_entries"]

logger = logging.getLogger(__name__)


def entries_of(reply: Any) -> list[Any]:
    """The entries of a one-stream XREAD reply, whatever its shape (RESP2 list or RESP3 map)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        (value,) = reply.values()
        # RESP3 maps a stream to [entries]; be lenient about that extra level.
        return list(value[0]) if value and isinstance(value[0], list) else list(value)
    return list(reply[0][1])


async def read_entries(
    redis: Redis, stream: str, cursor: str, *, count: int, block_ms: int
) -> list[Any]:
    """One XREAD of ``stream`` after ``cursor`` (at most ``count``, blocking ``block_ms``): its
    entries; behind Sentinel, none unless a replica confirmed them within ``wait_ms``."""
    if not isinstance(redis, ReplicatedRedis) or not redis.min_replicas:
        return entries_of(await redis.xread({stream: cursor}, count=count, block=block_ms))
    pool = redis.connection_pool
    connection = await pool.get_connection()  # type: ignore[no-untyped-call]
    try:
        entries: list[Any] = await connection.retry.call_with_retry(
            lambda: _read_then_wait(
                redis, connection, stream, cursor, count=count, block_ms=block_ms
            ),
            lambda _error: connection.disconnect(),
        )
        return entries
    finally:
        await pool.release(connection)


async def _read_then_wait(
    redis: ReplicatedRedis,
    connection: Connection,
    stream: str,
    cursor: str,
    *,
    count: int,
    block_ms: int,
) -> list[Any]:
    done = False
    try:
        await connection.send_command(
            "XREAD", "COUNT", count, "BLOCK", block_ms, "STREAMS", stream, cursor
        )
        entries = entries_of(await redis.parse_response(connection, "XREAD"))
        if entries:
            wanted, wait_ms = redis.min_replicas, redis.wait_ms
            # The PING first: a blocked XREAD served by a later append leaves the connection's
            # offset where it was when it blocked (before that append): WAIT would not cover it.
            await connection.send_packed_command(
                connection.pack_commands([("PING",), ("WAIT", wanted, wait_ms)])
            )
            await connection.read_response()
            confirmed = int(await connection.read_response())
            if confirmed < wanted:
                logger.debug(
                    "%s: %d entries after %s not confirmed by a replica within %d ms; read again",
                    stream, len(entries), cursor, wait_ms,
                )  # fmt: skip
                entries = []
        done = True
        return entries
    finally:
        if not done:
            # A replica ("WAIT cannot be used with replica instances"), a reply cut short: this
            # connection serves no one else; the next one asks the Sentinels for the primary.
            await connection.disconnect(nowait=True)
