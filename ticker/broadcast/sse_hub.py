"""``/sse``: the broadcaster's messages as server-sent events, for browsers behind networks that
block websockets and for partner sites.

The same join as ``/ws`` (``hello``, ``snapshot``, ``[gap]``, the backlog, ``live``, then live
updates, ``board``, ``health`` and ``clock``) with the same filters (``kinds=``, ``sources=``)
and cursor: ``Last-Event-ID`` (what ``EventSource`` sends when it reconnects) or else
``since=``. The
broadcaster's one Redis reader feeds :meth:`SseHub.publish`; nothing here reads Redis but a
backlog older than the memory holds, page by page as the client drains it.

How a request is answered (``docs/protocol.md``, "Server-sent events"):

- a foreign ``Origin``: 403; no or a wrong read token: 401 (``?token=``, or ``Authorization:
  Bearer``); a malformed cursor: 400 ``bad_since``; a cursor after the stream's last id (the
  stream was reset): 400 ``unknown_since``; a filter that is not one: 400 ``bad_filter``. These
  answers are plain HTTP with a JSON ``error`` body: ``EventSource`` sees them as a failed
  connection and does not retry.
- otherwise 200 ``text/event-stream``, a ``retry:`` hint, then the events; a comment every
  ``heartbeat`` seconds.
- a client whose unsent bytes exceed ``max_pending_bytes`` when an update is due is cut off
  (after a comment ``too slow; last_id=<id>``); ``EventSource`` reconnects from its last id.

:class:`SseConnection` is the connection class given to ``websockets.serve``: it answers
``/sse`` itself, outside websockets' opening handshake (whose timeout would end the stream), and
hands every other request to the usual handshake, under the same timeout as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import quote, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request

from ingest.store.stream_store import StreamStore
from ticker.board.live_state import RecentUpdates
from ticker.broadcast.http_routes import origin_allowed, request_token, response, token_matches
from ticker.wire.protocol import (
    SINCE_NOW,
    SINCE_START,
    ConnectRequest,
    EncodedUpdate,
    ErrorCode,
    Filter,
    ProtocolError,
    board_message,
    clock_message,
    error_message,
    gap_message,
    id_key,
    live_message,
    parse_connect_query,
    too_slow_reason,
)
from ticker.wire.sse import (
    HEARTBEAT,
    comment,
    frame_payload,
    join_events,
    message_event,
    retry_hint,
)

__all__ = ["SSE_PATH", "SseConnection", "SseHub", "SseOptions", "sse_connection_class"]

logger = logging.getLogger(__name__)

SSE_PATH: Final = "/sse"
_ORIGIN: Final = (0, 0)
_CHUNK: Final = 256 * 1024

SseHandler = Callable[[ServerConnection, Request], Awaitable[None]]


class SseConnection(ServerConnection):
    """A websocket server connection that serves ``/sse`` requests as event streams."""

    sse_handler: SseHandler | None = None
    handshake_timeout: float | None = 10.0

    async def handshake(self, *args: Any, **kwargs: Any) -> None:
        """Wait for the request; ``/sse`` is streamed, anything else goes the usual way."""
        async with asyncio.timeout(self.handshake_timeout):
            await asyncio.wait(
                [self.request_rcvd, self.connection_lost_waiter],
                return_when=asyncio.FIRST_COMPLETED,
            )
        request = self.request
        handler = self.sse_handler
        if request is not None and handler is not None:
            try:
                path = urlsplit(request.path).path
            except ValueError:
                path = ""
            if path == SSE_PATH:
                await handler(self, request)
                return
        async with asyncio.timeout(self.handshake_timeout):
            await super().handshake(*args, **kwargs)


def sse_connection_class(
    handler: SseHandler, handshake_timeout: float | None
) -> type[SseConnection]:
    """A :class:`SseConnection` class bound to one hub's handler."""
    return type(
        "BoundSseConnection",
        (SseConnection,),
        {"sse_handler": staticmethod(handler), "handshake_timeout": handshake_timeout},
    )


@dataclass(frozen=True, slots=True)
class SseOptions:
    """What the hub shares with the broadcaster's options."""

    stream: str
    version: str
    night: Any
    token: str | None
    allowed_origins: Collection[str]
    max_pending_bytes: int
    recent: int
    history_page: int
    drain_timeout: float
    close_timeout: float
    retry_ms: int = 2000
    heartbeat: float = 15.0


@dataclass(eq=False, slots=True)
class _SseClient:
    connection: ServerConnection
    filter: Filter
    cursor: str | None = None
    pending: list[EncodedUpdate] | None = None
    pending_bytes: int = 0
    gone: bool = False
    board: object = None
    clock: object = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def transport(self) -> asyncio.Transport:
        return self.connection.transport

    def writable(self) -> bool:
        return not self.gone and not self.transport.is_closing()

    def write(self, data: bytes) -> None:
        if data and self.writable():
            self.transport.write(data)


class SseHub:
    """Every ``/sse`` client of one broadcaster (see the module docstring)."""

    def __init__(
        self,
        options: SseOptions,
        *,
        store: StreamStore,
        recent: RecentUpdates,
        history_slots: asyncio.Semaphore,
        position: Callable[[], str | None],
        snapshot_frame: Callable[[], bytes],
        hello_text: Callable[[ConnectRequest], str],
        board: Callable[[], Any],
        clock: Callable[[], Any] = lambda: None,
    ) -> None:
        self.options = options
        self._store = store
        self._recent = recent
        self._history_slots = history_slots
        self._position = position
        self._snapshot_frame = snapshot_frame
        self._hello_text = hello_text
        self._board = board
        self._clock = clock
        self._groups: dict[Filter, set[_SseClient]] = {}
        self._catching_up: set[_SseClient] = set()
        self._clients: set[_SseClient] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self.slow_closed = 0

    @property
    def client_count(self) -> int:
        """Event-stream clients connected now."""
        return len(self._clients)

    def start(self) -> None:
        """Start the heartbeat."""
        self._heartbeat = asyncio.create_task(self._beat_forever(), name="soiree-sse-heartbeat")

    async def close(self) -> None:
        """End every stream (clients reconnect elsewhere or later) and stop the heartbeat."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        for client in list(self._clients):
            self._end(client)

    # -- the fan-out ------------------------------------------------------------------------

    def publish(self, entries: list[EncodedUpdate]) -> None:
        """A batch read from the stream: to every live client, queued for joining ones."""
        if not self._clients:
            return
        limit = self.options.max_pending_bytes
        slow: list[_SseClient] = []
        last_id = entries[-1].id
        for wanted, clients in self._groups.items():
            data, _count = join_events(entries, wanted)
            for client in clients:
                if not client.writable():
                    continue
                if client.transport.get_write_buffer_size() > limit:
                    slow.append(client)
                    continue
                client.write(data)
                client.cursor = last_id
        size = sum(len(entry.frame) for entry in entries)
        for client in self._catching_up:
            if client.pending is None:
                continue
            client.pending.extend(entries)
            client.pending_bytes += size
            if client.pending_bytes > limit:
                slow.append(client)
        for client in slow:
            self._cut_slow(client)

    def broadcast_frame(self, frame: bytes) -> None:
        """A message the broadcaster sent its live websocket clients (``board``, ``health``)."""
        if not self._groups:
            return
        event = message_event(frame_payload(frame).decode())
        for clients in self._groups.values():
            for client in clients:
                client.write(event)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.options.heartbeat)
            for client in list(self._clients):
                client.write(HEARTBEAT)

    # -- one client -------------------------------------------------------------------------

    async def serve(self, connection: ServerConnection, request: Request) -> None:
        """Answer one ``/sse`` request, streaming until the client or the server goes."""
        refusal = await self._refusal(request)
        if isinstance(refusal, tuple):
            status, body = refusal
            kind = (
                "text/plain; charset=utf-8"
                if status is HTTPStatus.FORBIDDEN
                else "application/json"
            )
            answer = response(status, body, kind, headers=self._cors(request))
            connection.transport.write(answer.serialize())
            await self._finish(connection)
            return
        wanted = refusal
        client = _SseClient(connection, wanted.filter)
        self._clients.add(client)
        try:
            connection.transport.write(self._head(request) + retry_hint(self.options.retry_ms))
            await self._join(client, wanted)
            await connection.connection_lost_waiter
        except (ConnectionError, _GoneError):
            pass
        except Exception as error:  # noqa: BLE001 - Redis failing mid-backlog: the client retries
            logger.warning("cannot serve an event-stream client: %s", error)
            client.write(comment("server error; retry"))
        finally:
            self._detach(client)
            client.gone = True
            self._clients.discard(client)
            await self._finish(connection)

    async def _refusal(self, request: Request) -> tuple[HTTPStatus, bytes] | ConnectRequest:
        """Why the request is refused (status and JSON body), or what it asks for."""
        options = self.options
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, request.headers.get("Host"), options.allowed_origins):
            return HTTPStatus.FORBIDDEN, f"origin not allowed: {origin}\n".encode()
        if not token_matches(request_token(request), options.token):
            return HTTPStatus.UNAUTHORIZED, _error_body(
                ErrorCode.UNAUTHORIZED, "a read token is required (?token=)"
            )
        query = urlsplit(request.path).query
        last_event_id = request.headers.get("Last-Event-ID")
        try:
            wanted = parse_connect_query(query)
            if last_event_id is not None and last_event_id.strip():
                resumed = parse_connect_query("since=" + quote(last_event_id.strip(), safe=""))
                wanted = ConnectRequest(resumed.since, wanted.filter, wanted.token)
        except ProtocolError as error:
            return HTTPStatus.BAD_REQUEST, _error_body(error.code, error.message)
        since = wanted.since
        if since not in (None, SINCE_START, SINCE_NOW):
            assert since is not None
            position = self._position()
            if position is None or id_key(since) > id_key(position):
                last = await self._store.last_id()
                if last is None or id_key(since) > id_key(last):
                    return HTTPStatus.BAD_REQUEST, _error_body(
                        ErrorCode.UNKNOWN_SINCE,
                        f"since {since} is after the last update of the stream"
                        f" ({last or 'none'}): the stream was reset or is another one;"
                        " reconnect without since",
                    )
        return wanted

    def _cors(self, request: Request) -> list[tuple[str, str]]:
        origin = request.headers.get("Origin")
        if origin is None or not origin_allowed(
            origin, request.headers.get("Host"), self.options.allowed_origins
        ):
            return []
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]

    def _head(self, request: Request) -> bytes:
        lines = [
            "HTTP/1.1 200 OK",
            f"Date: {email.utils.formatdate(usegmt=True)}",
            "Content-Type: text/event-stream; charset=utf-8",
            "Cache-Control: no-cache",
            "Connection: close",
            "X-Accel-Buffering: no",
            "X-Content-Type-Options: nosniff",
            f"Server: soiree/{self.options.version}",
            *(f"{name}: {value}" for name, value in self._cors(request)),
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def _finish(self, connection: ServerConnection) -> None:
        """Close gracefully (what is queued is sent), abort if the client lingers."""
        transport = connection.transport
        if not transport.is_closing():
            transport.close()
        try:
            async with asyncio.timeout(self.options.close_timeout):
                await asyncio.shield(connection.connection_lost_waiter)
        except TimeoutError:
            transport.abort()

    async def _join(self, client: _SseClient, wanted: ConnectRequest) -> None:
        """hello, snapshot, the backlog, live: as ``/ws`` does
        (``ticker.broadcast.broadcaster``)."""
        since = wanted.since
        client.write(
            message_event(self._hello_text(wanted))
            + message_event(frame_payload(self._snapshot_frame()).decode())
        )
        client.board = self._board()
        client.clock = self._clock()
        position = self._position()
        position_key = _ORIGIN if position is None else id_key(position)
        backlog = self._recent.backlog(since, position_key, newest=self.options.recent)
        client.pending = []
        self._catching_up.add(client)
        if backlog is not None:
            await self._send(client, backlog)
            self._go_live(client, position, position_key)
            return
        assert since is not None
        end = await self._send_history(client, since)
        self._go_live(client, end, _ORIGIN if end is None else id_key(end))

    async def _send(self, client: _SseClient, entries: list[EncodedUpdate]) -> None:
        for start in range(0, len(entries), 500):
            data, _count = join_events(entries[start : start + 500], client.filter)
            if data:
                await self._write_and_drain(client, data)

    async def _send_history(self, client: _SseClient, since: str) -> str | None:
        cursor: str | None = None if since == SINCE_START else since
        first = True
        while True:
            async with self._history_slots:
                history = await self._store.history(since=cursor, count=self.options.history_page)
            if first and history.gap:
                client.write(
                    message_event(
                        gap_message(
                            since=since,
                            first_id=history.first_retained_id,
                            last_trimmed_id=history.last_trimmed_id,
                        )
                    )
                )
            first = False
            entries = [EncodedUpdate.of(update) for update in history.updates]
            await self._send(client, entries)
            if history.last_id is None or history.last_id == cursor:
                return cursor
            cursor = history.last_id

    async def _write_and_drain(self, client: _SseClient, data: bytes) -> None:
        if not client.writable():
            raise _GoneError
        client.transport.write(data)
        try:
            async with asyncio.timeout(self.options.drain_timeout):
                await client.connection.drain()
        except TimeoutError:
            self._cut_slow(client)
            raise _GoneError from None
        if not client.writable():
            raise _GoneError

    def _go_live(self, client: _SseClient, end: str | None, end_key: tuple[int, int]) -> None:
        if not client.writable():
            raise _GoneError
        self._catching_up.discard(client)
        queued = [entry for entry in client.pending or () if entry.key > end_key]
        client.pending = None
        client.pending_bytes = 0
        data, _count = join_events(queued, client.filter)
        board = self._board()
        if board is not client.board:
            data += message_event(board_message(board))
        clock = self._clock()
        if clock is not client.clock:  # the replay's clock changed while it caught up
            data += message_event(clock_message(clock))
        client.write(message_event(live_message(end)) + data)
        client.cursor = queued[-1].id if queued else end
        self._groups.setdefault(client.filter, set()).add(client)

    # -- ending -----------------------------------------------------------------------------

    def _detach(self, client: _SseClient) -> None:
        self._catching_up.discard(client)
        client.pending = None
        group = self._groups.get(client.filter)
        if group is not None:
            group.discard(client)
            if not group:
                del self._groups[client.filter]

    def _cut_slow(self, client: _SseClient) -> None:
        if client.gone:
            return
        self.slow_closed += 1
        logger.info("cutting off slow event-stream client at %s", client.cursor)
        client.write(comment(too_slow_reason(client.cursor)))
        self._end(client)

    def _end(self, client: _SseClient) -> None:
        client.gone = True
        self._detach(client)
        transport = client.transport
        if not transport.is_closing():
            transport.close()
        asyncio.get_running_loop().call_later(self.options.close_timeout, transport.abort)


class _GoneError(Exception):
    """The client went away (or was cut off) while it was being served."""


def _error_body(code: ErrorCode, message: str) -> bytes:
    return (error_message(code, message) + "\n").encode()
