"""The editors' embargo acts (``soiree embargo release|hold``), read by the broadcaster.

Each act is an entry of the stream :func:`ingest.store.keys.embargo_acts_key` beside the
night's stream: the log of who released or held the embargo, when and why. The broadcaster
reads it from its start (a restarted broadcaster obeys the same acts) every ``interval``
seconds and hands each act to ``on_act``, in order, once. An entry that is not an act is
logged and skipped. Redis failures are retried as :mod:`ticker.broadcast.watch_loop` says.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from redis.asyncio import Redis

from ingest.store.entry_log import read_log
from ingest.store.keys import embargo_acts_key
from ticker.broadcast.watch_loop import RefreshLoop
from ticker.wire.embargo import EmbargoAct, act_from_fields

__all__ = ["EmbargoActsWatch"]

logger = logging.getLogger(__name__)


class EmbargoActsWatch:
    """The acts of one stream's embargo (see the module docstring)."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        *,
        interval: float,
        on_act: Callable[[EmbargoAct], None],
    ) -> None:
        self._redis = redis
        self._key = embargo_acts_key(stream)
        self._on_act = on_act
        self._loop = RefreshLoop(
            self.refresh, interval=interval, what=f"the embargo acts {self._key}"
        )
        self._last = "0-0"

    async def refresh(self) -> None:
        """Read the acts appended since the last read, and apply them in order."""
        read = await read_log(
            self._redis, self._key, act_from_fields, what="embargo", after=self._last, count=100
        )
        self._last = read.last_id or self._last
        for _entry_id, act in read.entries:
            logger.warning(
                "embargo %s by %s at %s: %s", act.act.value, act.who, act.at.isoformat(), act.reason
            )
            self._on_act(act)

    async def run(self) -> None:
        """Refresh every ``interval`` seconds until cancelled; back off while Redis fails."""
        await self._loop.run()
