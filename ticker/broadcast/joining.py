"""Joining: a new client gets ``hello``, ``snapshot``, its backlog, then ``live``.

The same join for ``/ws`` and ``/sse``: only the bytes differ (the transport's
:class:`~ticker.wire.framing.Framing`: websocket frames or server-sent events).

Its backlog comes from memory when its ``since`` falls within the recent updates (or is
absent), else from Redis, page by page, waiting for the client to drain between pages (one
that does not drain a page within ``drain_timeout`` is closed as too slow: 4008, or the end of
its event stream). Nothing is queued for it meanwhile: it chases the reader (from memory once
the recent updates cover where it is, else from Redis) until it has everything the reader
read, then gets ``live`` and joins the fan-out at that very point. A client that drains faster
than the stream grows always gets there, however long its backlog; no update is skipped or
sent twice.

While the reader warms up (after a start), a client without ``since`` (whose backlog is the
recent updates and whose scoreboard is the snapshot: both need the whole stream read) waits for
its ``hello``; a client with ``since`` is served its backlog from Redis and gets ``live`` once
the reader has caught up with it.

**Redis hung.** Nothing a joining client waits on from Redis waits long: each read of its own
(a backlog page, the stream's end) may take ``_JOIN_READ_TIMEOUT`` seconds, and a wait for the
reader (its warm-up, or to catch up with the client) lasts while the reader moves, but not
``_JOIN_READ_TIMEOUT`` seconds without it moving. Past that, :class:`TimeoutError` (an
``OSError``): the transport tells the client to come back (1013; on ``/sse``, a comment and
the end of the stream, after which ``EventSource`` reconnects).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, Final, Generic, TypeVar

from ingest.store.stream_store import StreamStore
from ticker.board.live_state import RecentUpdates
from ticker.broadcast.client import Client, ClientGoneError, DrainTimeoutError
from ticker.broadcast.fan_out import FanOut
from ticker.broadcast.options import BroadcasterOptions
from ticker.broadcast.reader import ORIGIN, StreamReader
from ticker.wire.client_requests import ConnectRequest
from ticker.wire.framing import WEBSOCKET, Framing
from ticker.wire.protocol import (
    board_message,
    clock_message,
    error_message,
    gap_message,
    hello_message,
    live_message,
)
from ticker.wire.protocol_codes import Close, ErrorCode
from ticker.wire.stream_positions import SINCE_NOW, SINCE_START, id_key
from ticker.wire.ws_frames import EncodedUpdate

__all__ = ["BACKLOG_CHUNK", "Joiner"]

#: Backlog bytes written in one go before waiting for the client to drain.
BACKLOG_CHUNK: Final = 256 * 1024
# Seconds a joining client's read from Redis may take: a hung Redis gets it 1013 (retry), not
# a wait as long as the client's socket timeout and retries.
_JOIN_READ_TIMEOUT: Final = 5.0

C = TypeVar("C", bound=Client)


class Joiner(Generic[C]):
    """Brings new clients from their ``since`` to the fan-out (see the module docstring)."""

    def __init__(
        self,
        options: BroadcasterOptions,
        *,
        store: StreamStore,
        recent: RecentUpdates,
        reader: StreamReader,
        fan_out: FanOut[C],
        history_slots: asyncio.Semaphore,
        snapshot_frame: Callable[[], bytes],
        board: Callable[[], Mapping[str, Any]],
        clock: Callable[[], Mapping[str, Any] | None],
        close: Callable[[C, int, str], None],
        close_slow: Callable[[C], None],
        count_error: Callable[[ErrorCode], None],
        framing: Framing = WEBSOCKET,
        visible: Callable[[list[EncodedUpdate]], list[EncodedUpdate]] = lambda entries: entries,
        missed: Callable[[str | None], list[EncodedUpdate]] = lambda _since: [],
        staff: bool = False,
    ) -> None:
        self.options = options
        #: Whether this joiner's clients are staff (their ``hello`` says so).
        self._staff = staff
        #: What of a backlog this joiner's clients get (the embargo: ``embargo_view``), and
        #: the released updates a client resuming from ``since`` lacks.
        self._visible = visible
        self._missed = missed
        self._store = store
        self._recent = recent
        self._reader = reader
        self._fan_out = fan_out
        self._history_slots = history_slots
        self._snapshot_frame = snapshot_frame
        self._board = board
        self._clock = clock
        self._close = close
        self._close_slow = close_slow
        self._count_error = count_error
        self._framing = framing

    async def join(self, client: C, wanted: ConnectRequest) -> None:
        """Send hello, snapshot and the backlog, then make the client live."""
        options = self.options
        reader = self._reader
        since = wanted.since
        if since is None:
            # Its backlog is the recent updates, its scoreboard the snapshot: the whole stream
            # must have been read (only while warming up, after a start).
            await self._wait_for_reader(client, reader.warm.is_set)
        # While warming up, "now" is the stream's end, which the reader has not reached yet:
        # taken before hello, so that whatever is appended once the client has hello reaches it.
        now_from_redis = since == SINCE_NOW and not reader.warm.is_set()
        now_id = None
        if now_from_redis:
            async with asyncio.timeout(_JOIN_READ_TIMEOUT):
                now_id = await self._store.last_id()
        hello = hello_message(
            version=options.version,
            stream=options.stream,
            night=options.night,
            since=since,
            filter=client.filter,
            staff=self._staff,
        )
        # Everything below up to the first await runs without yielding: the backlog taken from
        # memory and the reader's position belong together.
        client.write(self._framing.message(hello) + self._framing.frame(self._snapshot_frame()))
        client.board = self._board()
        client.clock = self._clock()
        missed = self._missed(since)
        if missed:
            client.write(self._framing.updates(missed, client.filter)[0])
        position, position_key = reader.position, reader.position_key
        if now_from_redis:
            await self._catch_up(client, now_id, since)
            return
        backlog = self._recent.backlog(since, position_key, newest=options.recent)
        if backlog is not None:
            data, _count = self._framing.updates(self._visible(backlog), client.filter)
            if len(data) <= min(BACKLOG_CHUNK, options.max_pending_bytes // 2):
                client.write(data)
                self._go_live(client, position, since)
                return
            await self._send_backlog(client, backlog)
            covered = position
        else:
            assert since is not None
            covered = await self._send_history(client, since)
        await self._catch_up(client, covered, since)

    async def _catch_up(self, client: C, covered: str | None, since: str | None) -> None:
        """Bring the client from ``covered`` up to the reader, then make it live.

        Nothing is queued for a joining client: what the reader read meanwhile is sent like the
        backlog, from memory when the recent updates hold everything after ``covered``, else
        from Redis. ``live`` goes out when the client has exactly what the reader read, with no
        await between that check and joining the fan-out.
        """
        reader = self._reader
        while True:
            covered_key = ORIGIN if covered is None else id_key(covered)
            if covered_key == reader.position_key:
                self._go_live(client, covered, since)
                return
            if covered_key > reader.position_key:
                # Redis gave the client more than the reader has read yet: wait for the reader.
                await self._wait_for_reader(client, partial(_reached, reader, covered_key))
            elif self._recent.covers(covered_key):
                position = reader.position
                await self._send_backlog(client, self._recent.after(covered_key))
                covered = position
            else:
                covered = await self._send_history(client, covered or SINCE_START)

    async def _wait_for_reader(self, client: C, done: Callable[[], bool]) -> None:
        """Wait until ``done()``, as long as the reader moves: a reader that has not moved for
        ``_JOIN_READ_TIMEOUT`` seconds (Redis hung or down) raises :class:`TimeoutError`."""
        reader = self._reader
        while not done():
            moved = reader.moved
            try:
                async with asyncio.timeout(_JOIN_READ_TIMEOUT):
                    await client.wait_for(moved)
            except TimeoutError:
                raise TimeoutError(
                    f"the stream's reader has not moved for {_JOIN_READ_TIMEOUT:g} s:"
                    " Redis does not answer"
                ) from None

    async def _send_backlog(self, client: C, backlog: list[EncodedUpdate]) -> None:
        """Write a backlog in chunks, letting the client drain between them."""
        chunk: list[EncodedUpdate] = []
        size = 0
        for entry in backlog:
            if not client.filter.accepts(entry.kind, entry.source):
                continue
            chunk.append(entry)
            size += len(entry.frame)
            if size >= BACKLOG_CHUNK:
                client.cursor = entry.id
                data = self._framing.updates(self._visible(chunk), client.filter)[0]
                await self._write_and_drain(client, data)
                chunk, size = [], 0
        if backlog:
            # Entries the filter skipped after the last chunk are covered too.
            client.cursor = backlog[-1].id
        if chunk:
            data = self._framing.updates(self._visible(chunk), client.filter)[0]
            await self._write_and_drain(client, data)

    async def _send_history(self, client: C, since: str) -> str | None:
        """Write the retained updates after ``since`` from Redis; return the last id covered."""
        cursor: str | None = None if since == SINCE_START else since
        first = True
        while True:
            async with self._history_slots, asyncio.timeout(_JOIN_READ_TIMEOUT):
                history = await self._store.history(since=cursor, count=self.options.history_page)
            if first:
                first = False
                if history.gap:
                    client.write(
                        self._framing.message(
                            gap_message(
                                since=since,
                                first_id=history.first_retained_id,
                                last_trimmed_id=history.last_trimmed_id,
                            )
                        )
                    )
                if not history.updates and cursor is not None:
                    await self._check_known(client, cursor)
            if history.last_id is None or history.last_id == cursor:
                return cursor
            entries = [EncodedUpdate.of(update) for update in history.updates]
            data, _count = self._framing.updates(self._visible(entries), client.filter)
            client.cursor = history.last_id
            if data:
                await self._write_and_drain(client, data)
            cursor = history.last_id

    async def _check_known(self, client: C, since: str) -> None:
        """Refuse a ``since`` past the stream's last id (the stream was reset, or is another)."""
        async with asyncio.timeout(_JOIN_READ_TIMEOUT):
            last = await self._store.last_id()
        if last is None or id_key(since) > id_key(last):
            message = (
                f"since {since} is after the last update of the stream ({last or 'none'}):"
                " the stream was reset or is another one; reconnect without since"
            )
            self._count_error(ErrorCode.UNKNOWN_SINCE)
            client.write(self._framing.message(error_message(ErrorCode.UNKNOWN_SINCE, message)))
            self._close(client, Close.BAD_REQUEST, ErrorCode.UNKNOWN_SINCE.value)
            raise ClientGoneError

    async def _write_and_drain(self, client: C, data: bytes) -> None:
        try:
            await client.write_and_drain(data, within=self.options.drain_timeout)
        except DrainTimeoutError:
            self._close_slow(client)
            raise ClientGoneError from None

    def _go_live(self, client: C, end: str | None, since: str | None) -> None:
        """Send ``live`` (the client has every update up to ``end``), join the fan-out."""
        if not client.writable():
            raise ClientGoneError
        # Caught up to nothing on an empty stream: "0-0" when a since was asked (resuming from
        # it gets everything), null only without one (docs/protocol.md, "live").
        shown = SINCE_START if end is None and since is not None else end
        # What changed while it caught up (those messages went to live clients) comes before
        # ``live``: at ``live`` a client's board and clock are those of its ``last_id`` (a
        # ``--once`` ticker stops there). Compared by value: a batch read makes a new board
        # object even when nothing on it changed.
        data = b""
        board = self._board()
        if board != client.board:
            data += self._framing.message(board_message(board))
        clock = self._clock()
        if clock != client.clock:
            data += self._framing.message(clock_message(clock))
        client.write(data + self._framing.message(live_message(shown)))
        client.cursor = end
        self._fan_out.add(client)


def _reached(reader: StreamReader, key: tuple[int, int]) -> bool:
    """Whether the reader has read up to ``key``."""
    return reader.position_key >= key
