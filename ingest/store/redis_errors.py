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

from ingest.model.errors import SoireeError

__all__ = [
    "EmbeddedRedisError",
    "RedisConfigError",
    "RedisSetupError",
    "RedisUnavailableError",
    "RedisVersionError",
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
