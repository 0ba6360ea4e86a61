"""The ticker's Redis feed: read the stream straight from Redis (the default).

A thin shell over :class:`~ingest.store.stream_store.StreamStore`: the retained history first
(:meth:`RedisFeed.load`, all ``--once`` needs), then every new update with a blocking
``XREAD`` (:meth:`RedisFeed.follow`), each applied to the
:class:`~ticker.terminal.ticker_view.TickerView`, with ``notify`` called whenever the view changed.
Beside it, light polls: the sources' health (:func:`ingest.store.health.read_all_health`, every
``health_interval``), the replay clock (the hash :func:`ingest.store.keys.replay_clock_key`),
the desk's actions and the editors' embargo acts (every ``clock_interval``). If Redis goes
away, the feed says so in the view, retries with exponential backoff and jitter, and resumes
after the last id it read.

Pause / resume of a replay (:meth:`RedisFeed.request_pause`) is a plain string at
:func:`ingest.store.keys.replay_control_key`: ``"pause"`` or ``"resume"``, which the replay reads
(``docs/ticker.md``, "Pausing a replay").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Final

from redis.exceptions import RedisError

from ingest.model.desk_action import Verb, action_from_fields
from ingest.model.update import Op, Update
from ingest.runtime.aio import cancel_until_done
from ingest.runtime.backoff import Backoff
from ingest.runtime.retrying import retrying
from ingest.store import keys
from ingest.store.entry_log import read_log
from ingest.store.health import read_all_health
from ingest.store.replies import reply_strings
from ingest.store.stream_store import StreamStore
from ticker.terminal.ticker_view import Connection, ConnectionState, TickerView
from ticker.wire.embargo import act_from_fields
from ticker.wire.replay_clock import ReplayClock

__all__ = ["DEFAULT_BACKOFF", "PAUSE", "RESUME", "RedisFeed"]

logger = logging.getLogger(__name__)

#: What the ticker writes at ``replay_control_key(stream)``.
PAUSE: Final = "pause"
RESUME: Final = "resume"
#: Retry delays after Redis errors: 0.5 s, 1 s, 2 s... up to 15 s, with jitter.
DEFAULT_BACKOFF: Final = Backoff(interval=0.5, max_backoff=15.0)


class RedisFeed:
    """Feed ``view`` from the stream of ``store``."""

    def __init__(
        self,
        store: StreamStore,
        view: TickerView,
        *,
        notify: Callable[[], None] = lambda: None,
        block_ms: int = 1000,
        count: int = 500,
        health_interval: float = 2.0,
        clock_interval: float = 1.0,
        backoff: Backoff = DEFAULT_BACKOFF,
    ) -> None:
        self.store = store
        self.view = view
        self.notify = notify
        self.block_ms = block_ms
        self.count = count
        self.health_interval = health_interval
        self.clock_interval = clock_interval
        self.backoff = backoff
        #: The last id read (None: nothing yet).
        self.cursor: str | None = None
        self._loaded = False
        #: The last desk action read (``<stream>:desk``), and embargo act (``<stream>:embargo``).
        self._desk_cursor = "0-0"
        self._embargo_cursor = "0-0"

    # -- one-off reads -------------------------------------------------------------------------

    async def load(self) -> None:
        """Read what the stream holds after the cursor (all of it at first), health and clock."""
        history = await self.store.history(since=self.cursor)
        # Updates read on a reconnect were missed while away: they are news, highlight them.
        now = time.time() if self._loaded else None
        changed = self.view.board.apply_all(self._as_corrected(history.updates), now=now)
        self.cursor = history.last_id or self.cursor
        if history.gap:
            self.view.notice = (
                "des mises à jour ont été perdues (rétention du flux) ; le fil reprend à "
                f"{history.first_retained_id}"
            )
            changed = True
        self._loaded = True
        changed = await self.refresh_health() or changed
        changed = await self.refresh_clock() or changed
        changed = await self.refresh_desk() or changed
        changed = await self.refresh_embargo() or changed
        if changed:
            self.notify()

    async def refresh_health(self) -> bool:
        """Read every source's health; return whether it changed."""
        health = await read_all_health(self.store.redis, self.store.stream)
        return self.view.board.set_health(health)

    async def refresh_clock(self) -> bool:
        """Read the replay clock (absent: not a replay's stream); return whether it changed."""
        raw = await self.store.redis.hgetall(keys.replay_clock_key(self.store.stream))
        fields = reply_strings(raw)
        clock = ReplayClock.from_hash(fields) if fields else None
        return self.view.set_clock(clock)

    def _as_corrected(self, updates: list[Update]) -> list[Update]:
        """Updates as the desk has them shown: corrected (a source's later edit of a corrected
        update is flagged, not shown), retracted ones deleted."""
        desk = self.view.desk
        for update in updates:
            desk.note_source(update)
        return [desk.board_view(update) for update in updates]

    async def refresh_desk(self) -> bool:
        """Read the desk's new actions (``<stream>:desk``); return whether any was read."""
        read = await read_log(
            self.store.redis,
            keys.desk_key(self.store.stream),
            action_from_fields,
            what="desk",
            after=self._desk_cursor,
            count=100,
        )
        self._desk_cursor = read.last_id or self._desk_cursor
        changed = False
        for _entry_id, action in read.entries:
            self.view.desk.apply(action)
            latest = self.view.board.latest(action.target)
            if latest is not None and action.verb in (Verb.CORRECT, Verb.RETRACT):
                view = self.view.desk.board_view(latest)
                self.view.board.apply(
                    replace(view, id=None, op=view.op if view.op is Op.DELETE else Op.EDIT)
                )
            changed = True
        return changed

    async def refresh_embargo(self) -> bool:
        """Read the editors' new embargo acts (``<stream>:embargo``); return whether any was
        read. An entry that is not an act is logged and skipped, as the broadcaster does."""
        read = await read_log(
            self.store.redis,
            keys.embargo_acts_key(self.store.stream),
            act_from_fields,
            what="embargo",
            after=self._embargo_cursor,
            count=100,
        )
        self._embargo_cursor = read.last_id or self._embargo_cursor
        self.view.embargo_acts.extend(act for _entry_id, act in read.entries)
        return bool(read.entries)

    async def request_pause(self, pause: bool) -> None:
        """Ask the replay of this stream to pause (True) or resume (False)."""
        await self.store.redis.set(
            keys.replay_control_key(self.store.stream), PAUSE if pause else RESUME
        )

    # -- following -------------------------------------------------------------------------

    def _set_connection(self, connection: Connection) -> None:
        if self.view.set_connection(connection):
            self.notify()

    async def follow(self) -> None:
        """Follow the stream until cancelled: new updates, health and the replay clock."""
        pollers = [
            asyncio.create_task(self._poll(self.refresh_health, self.health_interval)),
            asyncio.create_task(self._poll(self.refresh_clock, self.clock_interval)),
            asyncio.create_task(self._poll(self.refresh_desk, self.clock_interval)),
            asyncio.create_task(self._poll(self.refresh_embargo, self.clock_interval)),
        ]
        try:
            await self._read_forever()
        finally:
            # They read Redis, whose client can lose a first cancellation.
            failed = await cancel_until_done(pollers)
            if failed:
                raise failed[0]

    async def _read_forever(self) -> None:
        attempts = retrying(
            self.backoff, retry_on=(RedisError, OSError), on_failure=self._reconnecting
        )
        async with contextlib.aclosing(attempts):
            async for attempt in attempts:
                with attempt:
                    if not self._loaded or attempt.failures:
                        self._set_connection(Connection(ConnectionState.CATCHING_UP))
                        await self.load()
                    attempt.succeeded()
                    self._set_connection(Connection(ConnectionState.LIVE))
                    while True:
                        batch = await self.store.read_after(
                            self.cursor or "0-0", block_ms=self.block_ms, count=self.count
                        )
                        self.cursor = batch.last_id
                        shown = self._as_corrected(list(batch))
                        if batch and self.view.board.apply_all(shown, now=time.time()):
                            self.notify()

    def _reconnecting(self, error: BaseException, delay: float) -> None:
        detail = f"Redis injoignable : {error}"
        logger.info("ticker: %s; retrying in %.1f s", detail, delay)
        self._set_connection(
            Connection(ConnectionState.RECONNECTING, detail=detail, retry_at=time.time() + delay)
        )

    async def _poll(self, refresh: Callable[[], Awaitable[bool]], interval: float) -> None:
        """Call ``refresh`` every ``interval`` seconds; errors are the reader's to report."""
        while True:
            await asyncio.sleep(interval)
            try:
                changed = await refresh()
            except (RedisError, OSError) as error:
                logger.debug("ticker: poll failed: %r", error)
                continue
            if changed:
                self.notify()
