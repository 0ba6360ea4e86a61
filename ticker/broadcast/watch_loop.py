"""The loop of the broadcaster's watches of small Redis keys (the replay clock, the desk's log,
the embargo acts): read again every ``interval`` seconds until cancelled.

When Redis fails (``RedisError``, ``OSError``), what was read last is kept (a blip is not news)
and the read is retried with the stream reader's jittered backoff (:mod:`ticker.broadcast.reader`),
never sooner than ``interval``: the first failure is logged as a warning, the next ones at debug
level, and the read that works again as a warning.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from redis.exceptions import RedisError

from ingest.runtime.backoff import Backoff, backoff_delay

__all__ = ["RefreshLoop"]

logger = logging.getLogger(__name__)

# Retrying after a Redis failure: as the stream reader does (50 ms doubling up to 1 s, jitter).
_REDIS_BACKOFF: Final = Backoff(interval=0.05, max_backoff=1.0)


class RefreshLoop:
    """Await ``refresh()`` every ``interval`` seconds (see the module docstring); ``what`` names
    what it reads in the log (``the replay clock of soiree:night:x``)."""

    def __init__(
        self, refresh: Callable[[], Awaitable[None]], *, interval: float, what: str
    ) -> None:
        self._refresh = refresh
        self._interval = interval
        self._what = what
        #: Redis failures in a row so far (0: the last read worked).
        self.failures = 0

    async def run(self) -> None:
        """Refresh until cancelled."""
        while True:
            try:
                await self._refresh()
            except (RedisError, OSError) as error:
                self.failures += 1
                delay = max(self._interval, backoff_delay(self.failures, _REDIS_BACKOFF))
                log = logger.warning if self.failures == 1 else logger.debug
                log("reading %s failed (%s); retrying", self._what, error)
                await asyncio.sleep(delay)
                continue
            if self.failures:
                logger.warning("reading %s again after %d failures", self._what, self.failures)
                self.failures = 0
            await asyncio.sleep(self._interval)
