"""The broadcaster's view of a replay's clock: the hash the replay writes, polled from Redis.

A replay (and ``soiree demo``) leaves its virtual clock in the hash
:func:`ingest.store.keys.replay_clock_key` (:func:`replay.runner.publish_clock`).
:class:`ReplayClockWatch` reads it every ``interval`` seconds on the broadcaster's Redis client
and says when what clients are told changed (:meth:`ReplayClock.to_json`: the virtual time, the
speed, paused, finished; not the replay's wall time, rewritten every second even while paused).
The broadcaster then sends ``clock`` to its clients (``docs/protocol.md``).

A missing or unreadable hash is no replay clock (``None``). When Redis fails, the clock last
read is kept (a blip is not the end of the replay) and the watch retries as every watch of the
broadcaster does (:mod:`ticker.broadcast.watch_loop`).

:func:`read_replay_clock` is the one read of the hash (the watch's, the terminal's), and
:func:`replay_now` the time a desk or embargo act is stamped with: the replay's virtual time
now, or the wall clock's when the stream is no replay's.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from ingest.store.keys import replay_clock_key
from ingest.store.replies import reply_strings
from ticker.broadcast.watch_loop import RefreshLoop
from ticker.wire.replay_clock import ReplayClock

__all__ = ["ReplayClockWatch", "read_replay_clock", "replay_now"]

logger = logging.getLogger(__name__)


#: What clients are told of the clock (``ReplayClock.to_json``), or None: no replay clock.
ClockJson = dict[str, Any] | None


async def read_replay_clock(redis: Redis, stream: str) -> ReplayClock | None:
    """The replay clock of ``stream``; None if the hash is missing or unreadable."""
    return ReplayClock.from_hash(reply_strings(await redis.hgetall(replay_clock_key(stream))))


async def replay_now(redis: Redis, stream: str) -> datetime:
    """The replay's virtual time now, or the wall clock's (UTC) on a stream with no replay."""
    clock = await read_replay_clock(redis, stream)
    return datetime.now(UTC) if clock is None else clock.now(time.time())


class ReplayClockWatch:
    """The replay clock of one stream, as last read (see the module docstring)."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        *,
        interval: float,
        on_change: Callable[[ClockJson], None],
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._on_change = on_change
        self._loop = RefreshLoop(
            self.refresh, interval=interval, what=f"the replay clock of {stream}"
        )
        #: The clock last read, as clients see it (None: no replay clock).
        self.current: ClockJson = None
        #: Whether the hash was read once: until then ``None`` means "not known yet", not "no
        #: replay clock" (the embargo must not take the wall clock for a replay's).
        self.known = False

    async def refresh(self) -> None:
        """Read the hash now; call ``on_change`` if what clients see changed.

        Raises ``RedisError`` / ``OSError`` when Redis fails (the clock is kept).
        """
        clock = await read_replay_clock(self._redis, self._stream)
        current = None if clock is None else clock.to_json()
        self.known = True
        if current != self.current:
            self.current = current
            self._on_change(current)

    @property
    def failures(self) -> int:
        """Failed reads in a row so far (0: the last read worked)."""
        return self._loop.failures

    async def run(self) -> None:
        """Refresh every ``interval`` seconds until cancelled; back off while Redis fails."""
        await self._loop.run()
