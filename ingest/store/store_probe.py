"""Whether Redis answers now: one PING at a time for a whole ingest process.

A poller whose writes take long asks this before it gives up waiting
(``ingest.polling.kept_writer``).
The answer must be about Redis, not about the process: a thousand pollers contending for the pool
of their client would make a PING through it wait for a free connection, and a busy process
would take that wait for a hung server. So the probe has a client of its own (one connection),
sends at most one PING at a time, shares its outcome with every poller that asks meanwhile, and
keeps it for :data:`FRESH_FOR` seconds. And a wait that ends far later than it should (the
process itself too busy to run its timers, let alone read a reply) is not taken as silence.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from ingest.runtime.aio import cancel_until_done

__all__ = ["FRESH_FOR", "LATE", "StoreProbe"]

#: Seconds an outcome is reused by the pollers that ask after it.
FRESH_FOR: Final = 0.5
#: Seconds past its time a wait must end to show this process, not Redis, was too slow.
LATE: Final = 0.5


class StoreProbe:
    """PINGs ``redis`` (best a client of its own, with a short socket timeout) for the pollers."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._pending: asyncio.Task[bool] | None = None
        self._outcome: tuple[float, bool] | None = None

    async def answers(self, *, within: float) -> bool:
        """Whether Redis answers a PING within ``within`` seconds (or did a moment ago)."""
        if self._outcome is not None and time.monotonic() - self._outcome[0] < FRESH_FOR:
            return self._outcome[1]
        if self._pending is None:
            self._pending = asyncio.create_task(self._ping())
        asked = time.monotonic()
        try:
            async with asyncio.timeout(within):
                # Shielded: one poller giving up must not cancel the PING the others await.
                return await asyncio.shield(self._pending)
        except TimeoutError:
            # A timer this late means this process was too busy to read the answer, which
            # tells nothing about Redis (a process waiting on a hung Redis has little to do).
            return time.monotonic() - asked > within + max(LATE, within / 2)

    async def _ping(self) -> bool:
        # Bounded by the client's socket timeout: give it one of its own.
        try:
            await self._redis.ping()
        except ResponseError:
            answered = True  # an error reply is an answer (MISCONF: writes refused)
        except (RedisError, OSError):
            answered = False
        else:
            answered = True
        self._outcome = (time.monotonic(), answered)
        self._pending = None
        return answered

    async def close(self) -> None:
        """Stop a PING under way (the client is the caller's to close)."""
        pending, self._pending = self._pending, None
        if pending is not None:
            await cancel_until_done([pending])  # what it ended with is no news: not answered
