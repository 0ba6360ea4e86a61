"""Asyncio Redis clients: one on a URL once the server has answered and is recent enough
(:func:`connect`), and a writer's client within bounds (:func:`bounded_client`)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

import redis.asyncio
import redis.exceptions
from redis.asyncio.retry import Retry as AsyncRetry
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError

from ingest.store.redis_errors import RedisUnavailableError, RedisVersionError, describe_refusal
from ingest.store.redis_url import redact_url, validate_redis_url
from ingest.store.sentinel import ReplicatedRedis, is_sentinel_url, sentinel_client

__all__ = [
    "FIRST_ANSWER_TIMEOUT",
    "MIN_SERVER_VERSION",
    "StoreLimits",
    "bounded_client",
    "connect",
]

logger = logging.getLogger(__name__)

MIN_SERVER_VERSION: Final = (6, 2)
#: Seconds a server has to answer the first PING and INFO of :func:`connect`.
FIRST_ANSWER_TIMEOUT: Final = 10.0


def _server_version(info: dict[str, object]) -> tuple[int, ...]:
    raw = str(info.get("redis_version", "0"))
    try:
        return tuple(int(part) for part in raw.split(".")[:2])
    except ValueError:
        return (0,)


async def connect(
    url: str,
    *,
    socket_timeout: float = 30.0,
    health_check_interval: int = 0,
    client_name: str | None = "soiree",
) -> redis.asyncio.Redis:
    """An asyncio client on ``url`` (text replies), once the server has answered.

    Commands are retried with jittered backoff on connection errors and timeouts (the stream
    store's append is idempotent, so a retried append is never written twice). Blocking reads
    must block for less than ``socket_timeout``. Raises :class:`RedisUnavailableError` if the
    server does not answer, :class:`RedisVersionError` if it is older than Redis 6.2.

    A server that refuses writes (``MISCONF``: its disk is full or failing) answers: readers
    use it, and a warning says why writers will fail. No health-check PING by default: Redis
    refuses PING too in that state, which would fail every read on a connection idle for the
    interval; a dead connection is found by the command itself, and retried.
    """
    validate_redis_url(url)
    make = sentinel_client if is_sentinel_url(url) else redis.asyncio.Redis.from_url
    client = make(
        url,
        decode_responses=True,
        socket_timeout=socket_timeout,
        socket_connect_timeout=min(socket_timeout, 5.0),
        health_check_interval=health_check_interval,
        retry=AsyncRetry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=3),
        client_name=client_name,
    )
    try:
        # Bounded as a whole: a hung server (connections accepted, nothing answered) would
        # otherwise hold the command for the socket timeout times the retries.
        async with asyncio.timeout(FIRST_ANSWER_TIMEOUT):
            try:
                await client.ping()
            except redis.exceptions.ResponseError as error:
                refusal = describe_refusal(error)
                if refusal is None:
                    raise
                logger.warning("%s: %s", redact_url(url), refusal)
            info = await client.info("server")
    except TimeoutError as error:
        await client.aclose()
        raise RedisUnavailableError(
            f"the Redis server at {redact_url(url)} did not answer within"
            f" {FIRST_ANSWER_TIMEOUT:g} s (hung, or overloaded)"
        ) from error
    except (RedisError, OSError) as error:
        await client.aclose()
        raise RedisUnavailableError(
            f"cannot use the Redis server at {redact_url(url)}: {error}"
        ) from error
    version = _server_version(info)
    if version < MIN_SERVER_VERSION:
        await client.aclose()
        raise RedisVersionError(
            f"the Redis server at {redact_url(url)} is version "
            f"{info.get('redis_version', 'unknown')}; soiree needs Redis 6.2 or later (or Valkey)"
        )
    return client


@dataclass(frozen=True, slots=True)
class StoreLimits:
    """How long a writer's Redis calls may take, and how many run at once.

    ``socket_timeout``: seconds for each reply (a hung server costs at most this, times
    ``retries + 1``); ``max_connections``: connections open at once, callers beyond waiting
    for a free one at most ``pool_timeout`` seconds (instead of failing with "Too many
    connections", redis-py's default pool past 100).
    """

    socket_timeout: float = 5.0
    retries: int = 1
    max_connections: int = 100
    pool_timeout: float = 30.0


def bounded_client(client: redis.asyncio.Redis, limits: StoreLimits) -> redis.asyncio.Redis:
    """A new client of ``client``'s server (same address, credentials, TLS) within ``limits``.

    Its own blocking pool: the caller closes it (``aclose``) when done.
    """
    pool = client.connection_pool
    kwargs = {
        **pool.connection_kwargs,
        "socket_timeout": limits.socket_timeout,
        "socket_connect_timeout": min(limits.socket_timeout, 5.0),
        "retry": AsyncRetry(
            ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=limits.retries
        ),
    }
    kwargs.pop("himport_registry", None)
    if isinstance(pool, SentinelConnectionPool):
        # The primary is whichever the Sentinels name at each connection: a pool of theirs
        # (it does not block past max_connections: a caller beyond fails, and is retried).
        kwargs.pop("connection_pool", None)
        sentinel_pool = SentinelConnectionPool(  # type: ignore[no-untyped-call]
            pool.service_name,
            pool.sentinel_manager,
            max_connections=limits.max_connections,
            **{**kwargs, "connection_class": pool.connection_class},
        )
        replicated = type(client).from_pool(sentinel_pool)
        if isinstance(client, ReplicatedRedis) and isinstance(replicated, ReplicatedRedis):
            replicated.min_replicas, replicated.wait_ms = client.min_replicas, client.wait_ms
            replicated.sentinel_manager = client.sentinel_manager
        return replicated
    bounded = redis.asyncio.BlockingConnectionPool(
        connection_class=pool.connection_class,
        max_connections=limits.max_connections,
        timeout=limits.pool_timeout,
        **kwargs,
    )
    return redis.asyncio.Redis.from_pool(bounded)
