"""An asyncio Redis client on a URL, once the server has answered and is recent enough."""

from __future__ import annotations

from typing import Final

import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import RedisError

from ingest.store.redis_errors import RedisUnavailableError, RedisVersionError
from ingest.store.redis_url import redact_url, validate_redis_url

__all__ = ["MIN_SERVER_VERSION", "connect"]

MIN_SERVER_VERSION: Final = (6, 2)


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
    health_check_interval: int = 15,
    client_name: str | None = "soiree",
) -> redis.asyncio.Redis:
    """An asyncio client on ``url`` (text replies), once the server has answered.

    Commands are retried with jittered backoff on connection errors and timeouts (the stream
    store's append is idempotent, so a retried append is never written twice). Blocking reads
    must block for less than ``socket_timeout``. Raises :class:`RedisUnavailableError` if the
    server does not answer, :class:`RedisVersionError` if it is older than Redis 6.2.
    """
    validate_redis_url(url)
    client = redis.asyncio.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=socket_timeout,
        socket_connect_timeout=min(socket_timeout, 5.0),
        health_check_interval=health_check_interval,
        retry=AsyncRetry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), retries=3),
        client_name=client_name,
    )
    try:
        await client.ping()
        info = await client.info("server")
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
