"""The errors of getting a usable Redis: one branch of soiree's error tree.

::

    RedisSetupError                 soiree cannot get a usable Redis; the message says why
    ├── RedisConfigError            a bad URL or option (also a ValueError)
    ├── EmbeddedRedisError          the embedded server cannot be found, started or stopped
    ├── RedisUnavailableError       the server does not answer or refuses us (also OSError)
    └── RedisVersionError           the server is older than Redis 6.2

Messages never hold a password: URLs in them go through
:func:`ingest.store.redis_url.redact_url`.
"""

from __future__ import annotations

import redis.exceptions

from ingest.model.errors import SoireeError

__all__ = [
    "EmbeddedRedisError",
    "RedisConfigError",
    "RedisSetupError",
    "RedisUnavailableError",
    "RedisVersionError",
    "describe_refusal",
]


class RedisSetupError(SoireeError):
    """soiree cannot get a usable Redis; the message says what is wrong (URLs redacted)."""


class RedisConfigError(RedisSetupError, ValueError):
    """A Redis URL or an embedded-server option is invalid."""


class EmbeddedRedisError(RedisSetupError):
    """The embedded redis-server cannot be found, started or stopped."""


class RedisUnavailableError(RedisSetupError, ConnectionError):
    """The Redis server does not answer, or refuses the connection (also a ConnectionError)."""


class RedisVersionError(RedisSetupError):
    """The Redis server is too old for soiree (XADD MINID, XAUTOCLAIM: Redis 6.2+)."""


def describe_refusal(error: BaseException) -> str | None:
    """What a server's refusal to write means, in one line; None if ``error`` is not one.

    Redis refuses writes (and PING) with ``MISCONF`` once it cannot write its AOF or snapshot
    (a full or failing disk), and refuses commands that may grow memory with ``OOM`` over
    ``maxmemory``; reads still work in both cases.
    """
    if not isinstance(error, redis.exceptions.ResponseError):
        return None
    text = str(error)
    if "MISCONF" in text:
        detail = text.split("MISCONF", 1)[1].strip()
        return f"Redis refuses writes: disk full or failing ({detail}); reads still work"
    if isinstance(error, redis.exceptions.OutOfMemoryError) or "OOM command not allowed" in text:
        return (
            "Redis refuses writes: out of memory (over its maxmemory); free memory, raise"
            " maxmemory or lower SOIREE_STREAM_MAXLEN; reads still work"
        )
    return None
