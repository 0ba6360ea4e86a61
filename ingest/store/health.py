"""Per-source poller health in Redis: written after every poll, read by the ticker and ``/healthz``.

:func:`record_poll` writes a :class:`ingest.sources.source_health.SourceHealth` (the record, pure)
to the hash :func:`ingest.store.keys.health_key` and names the source in the set
:func:`ingest.store.keys.sources_key`; :func:`read_health` reads one back, :func:`read_all_health`
all of a stream's, as JSON-able dicts (the fields: ``docs/ingest.md``, "Health"); a health
key of the wrong type (written by something else) is skipped with a warning.

Behind Sentinel, health is not confirmed by a replica (no ``WAIT``: a poll never waits for
it); a failover can lose the last record of a source, which its next poll writes anew.
"""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from ingest.sources.source_health import SourceHealth
from ingest.store import keys
from ingest.store.replies import reply_strings, reply_text

__all__ = ["read_all_health", "read_health", "record_poll"]

logger = logging.getLogger(__name__)


async def record_poll(
    redis: Redis, stream: str, health: SourceHealth, *, appended: int = 0
) -> None:
    """Write ``health`` (one MULTI): its fields, the counters' increments, the source's name."""
    key = keys.health_key(stream, health.source)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping=health.to_hash())  # type: ignore[arg-type]
        pipe.hincrby(key, "polls", 1)
        pipe.hincrby(key, "appended", appended)
        pipe.sadd(keys.sources_key(stream), health.source)
        await pipe.execute()


async def read_health(redis: Redis, stream: str, source: str) -> SourceHealth | None:
    """One source's health, or None if it has none."""
    raw = await redis.hgetall(keys.health_key(stream, source))
    return SourceHealth.from_hash(source, reply_strings(raw)) if raw else None


async def read_all_health(redis: Redis, stream: str) -> dict[str, dict[str, object]]:
    """Every source's health on ``stream``, by source name (sorted), as JSON-able dicts."""
    members = await redis.smembers(keys.sources_key(stream))
    names = sorted(reply_text(name) for name in members)
    if not names:
        return {}
    async with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hgetall(keys.health_key(stream, name))
        hashes = await pipe.execute(raise_on_error=False)
    healths: dict[str, dict[str, object]] = {}
    for name, raw in zip(names, hashes, strict=True):
        if isinstance(raw, ResponseError):  # WRONGTYPE: written by something else
            logger.warning("%s: the health of %r is unreadable (%s); skipped", stream, name, raw)
        elif isinstance(raw, Exception):
            raise raw
        elif raw:
            healths[name] = SourceHealth.from_hash(name, reply_strings(raw)).to_json()
    return healths
