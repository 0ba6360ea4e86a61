"""The broadcaster's view of health: the sources' health refreshed from Redis, and ``/healthz``.

:class:`SourceHealthWatch` re-reads the sources' health every ``interval`` seconds (and when
``/metrics`` is scraped) and says when it changed (the broadcaster then sends ``health`` to its
clients). :func:`probe_redis` is the Redis half of ``/healthz``: whether Redis answers (and
whether it refuses writes), the stream's last id, whether the stream exists, the sources'
health read now.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from ingest.store.health import read_all_health
from ingest.store.redis_errors import describe_refusal
from ingest.store.stream_store import StreamStore

__all__ = ["SourceHealthWatch", "probe_redis"]

logger = logging.getLogger(__name__)

#: How long ``/healthz`` waits for Redis.
_PROBE_TIMEOUT = 2.0

SourcesHealth = dict[str, dict[str, object]]


class SourceHealthWatch:
    """The sources' health of one stream, as last read (see the module docstring)."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        *,
        interval: float,
        on_change: Callable[[SourcesHealth], None],
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._interval = interval
        self._on_change = on_change
        #: The health last read (empty until read).
        self.current: SourcesHealth = {}

    async def refresh(self) -> None:
        """Read the health now; call ``on_change`` if it changed. A Redis failure keeps it."""
        try:
            health = await read_all_health(self._redis, self._stream)
        except (RedisError, OSError) as error:
            logger.debug("reading source health failed: %s", error)
            return
        if health != self.current:
            self.current = health
            self._on_change(health)

    async def run(self) -> None:
        """Refresh every ``interval`` seconds, until cancelled."""
        while True:
            await asyncio.sleep(self._interval)
            await self.refresh()


async def probe_redis(redis: Redis, store: StreamStore, body: dict[str, Any]) -> bool:
    """Ask Redis what ``/healthz`` says of it, into ``body``; return whether Redis answers.

    Sets ``body["redis"]`` (``reachable``, and ``writes`` when Redis refuses them, or
    ``error``) and, when Redis answers, ``last_id``, ``stream_exists`` and ``sources``.
    """
    redis_state: dict[str, Any] = {"reachable": False}
    try:
        async with asyncio.timeout(_PROBE_TIMEOUT):
            try:
                await redis.ping()
            except ResponseError as error:  # MISCONF (a full disk): reads still work
                if (refusal := describe_refusal(error)) is None:
                    raise
                redis_state["writes"] = refusal
            body["last_id"] = await store.last_id()
            body["stream_exists"] = bool(await redis.exists(store.stream))
            body["sources"] = await read_all_health(redis, store.stream)
        redis_state["reachable"] = True
    except (RedisError, OSError, TimeoutError) as error:
        redis_state["error"] = str(error) or type(error).__name__
    body["redis"] = redis_state
    return bool(redis_state["reachable"])
