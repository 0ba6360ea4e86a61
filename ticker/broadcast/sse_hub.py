"""``/sse``: the broadcaster's messages as server-sent events, for browsers behind networks that
block websockets and for partner sites.

The same join as ``/ws`` (``hello``, ``snapshot``, ``[gap]``, the backlog, ``live``, then live
updates, ``board``, ``health`` and ``clock``) with the same filters (``kinds=``, ``sources=``;
a public client's whatever the token: never an alert, :mod:`ticker.wire.client_filter`) and
cursor: ``Last-Event-ID`` (what ``EventSource`` sends when it reconnects) or else ``since=``.
It *is* the same join and the same fan-out: :class:`ticker.broadcast.joining.Joiner` (also
while the broadcaster warms up) and :class:`ticker.broadcast.fan_out.FanOut` (filters, the
slow-client rule), writing events instead of frames (:data:`ticker.wire.framing.EVENT_STREAM`).
The broadcaster's one Redis reader feeds :meth:`SseHub.publish`. What is left here is HTTP: the
refusals, the response head, the ``retry:`` hint, heartbeats and the end of a stream.

How a request is answered (``docs/protocol.md``, "Server-sent events"):

- a foreign ``Origin``: 403; no or a wrong read token: 401 (``?token=``, or ``Authorization:
  Bearer``); a malformed cursor: 400 ``bad_since``; a cursor after the stream's last id (the
  stream was reset): 400 ``unknown_since``; a filter that is not one: 400 ``bad_filter``. These
  answers are plain HTTP with a JSON ``error`` body: ``EventSource`` sees them as a failed
  connection and does not retry.
- otherwise 200 ``text/event-stream``, a ``retry:`` hint, then the events; a comment every
  ``heartbeat`` seconds.
- a client whose unsent bytes exceed ``max_pending_bytes`` when an update is due, or that does
  not drain a page of its backlog within ``drain_timeout``, is cut off (after a comment ``too
  slow; last_id=<id>``); ``EventSource`` reconnects from its last id. An event-stream client
  sends nothing after its request: no message budget applies.

:class:`SseConnection` is the connection class given to ``websockets.serve``: it answers
``/sse`` itself, outside websockets' opening handshake (whose timeout would end the stream), and
hands every other request to the usual handshake, under the same timeout as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import quote, urlsplit

from redis.exceptions import RedisError
from websockets.asyncio.server import ServerConnection
from websockets.http11 import Request

from ingest.store.stream_store import StreamStore
from ticker.board.live_state import RecentUpdates
from ticker.broadcast.client import Client, ClientGoneError
from ticker.broadcast.fan_out import FanOut
from ticker.broadcast.http_routes import origin_allowed, request_token, response
from ticker.broadcast.joining import Joiner
from ticker.broadcast.options import BroadcasterOptions
from ticker.broadcast.reader import StreamReader
from ticker.wire.client_requests import ConnectRequest, parse_connect_query
from ticker.wire.framing import EVENT_STREAM
from ticker.wire.protocol import error_message, too_slow_reason
from ticker.wire.protocol_codes import ErrorCode, ProtocolError
from ticker.wire.sse import HEARTBEAT, comment, retry_hint
from ticker.wire.stream_positions import SINCE_NOW, SINCE_START, id_key
from ticker.wire.ws_frames import EncodedUpdate

__all__ = ["SSE_PATH", "SseClient", "SseConnection", "SseHub", "sse_connection_class"]

logger = logging.getLogger(__name__)

SSE_PATH: Final = "/sse"
# Seconds the check of a cursor against the stream's end may wait for Redis.
_KNOWN_SINCE_TIMEOUT: Final = 5.0

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


class SseClient(Client):
    """One event-stream client: open until its stream ends (no protocol state of its own)."""

    __slots__ = ()


class SseHub:
    """Every ``/sse`` client of one broadcaster (see the module docstring)."""

    def __init__(
        self,
        options: BroadcasterOptions,
        *,
        store: StreamStore,
        recent: RecentUpdates,
        reader: StreamReader,
        history_slots: asyncio.Semaphore,
        snapshot_frame: Callable[[], bytes],
        board: Callable[[], Mapping[str, Any]],
        clock: Callable[[], Mapping[str, Any] | None] = lambda: None,
        on_rejected: Callable[[], None] = lambda: None,
        visible: Callable[[list[EncodedUpdate]], list[EncodedUpdate]] = lambda entries: entries,
        missed: Callable[[str | None], list[EncodedUpdate]] = lambda _since: [],
    ) -> None:
        self.options = options
        self._on_rejected = on_rejected
        self._store = store
        self._reader = reader
        self._fan_out: FanOut[SseClient] = FanOut(
            max_pending_bytes=options.max_pending_bytes, framing=EVENT_STREAM
        )
        self._joiner: Joiner[SseClient] = Joiner(
            options,
            store=store,
            recent=recent,
            reader=reader,
            fan_out=self._fan_out,
            history_slots=history_slots,
            snapshot_frame=snapshot_frame,
            board=board,
            clock=clock,
            close=lambda client, _code, _reason: self._end(client),
            close_slow=self._cut_slow,
            count_error=lambda _code: None,
            framing=EVENT_STREAM,
            visible=visible,  # /sse is public: the embargo's view of a backlog
            missed=missed,
        )
        self._clients: set[SseClient] = set()
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

    def publish(self, entries: list[EncodedUpdate]) -> None:
        """A batch read from the stream: to every live client (joining ones chase the reader)."""
        _sent, slow = self._fan_out.publish(entries)
        for client in slow:
            self._cut_slow(client)

    def broadcast_frame(self, frame: bytes) -> None:
        """A message the broadcaster sent its live websocket clients (``board``, ``health``)."""
        self._fan_out.broadcast(frame)

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(self.options.sse_heartbeat)
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
        # /sse is public, whatever the token: no staff-only kinds (client_filter.py).
        client = SseClient(connection, wanted.filter.seen_by(staff=False))
        self._clients.add(client)
        try:
            connection.transport.write(self._head(request) + retry_hint(self.options.sse_retry_ms))
            await self._joiner.join(client, wanted)
            await connection.connection_lost_waiter
        except (ConnectionError, ClientGoneError):
            pass
        except (RedisError, OSError) as error:  # TimeoutError too: Redis hung (joining.py)
            logger.warning(
                "cannot serve an event-stream client: %s", error or "Redis did not answer"
            )
            client.write(comment("redis unavailable; retry"))
        except Exception as error:  # noqa: BLE001 - Redis failing mid-backlog: the client retries
            logger.warning("cannot serve an event-stream client: %s", error or type(error).__name__)
            client.write(comment("server error; retry"))
        finally:
            self._fan_out.remove(client)
            client.gone = True
            self._clients.discard(client)
            await self._finish(connection)

    async def _refusal(self, request: Request) -> tuple[HTTPStatus, bytes] | ConnectRequest:
        """Why the request is refused (status and JSON body), or what it asks for."""
        options = self.options
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, request.headers.get("Host"), options.allowed_origins):
            return HTTPStatus.FORBIDDEN, f"origin not allowed: {origin}\n".encode()
        if options.access.access(request_token(request)) is None:
            self._on_rejected()
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
            if id_key(since) > self._reader.position_key:
                try:
                    async with asyncio.timeout(_KNOWN_SINCE_TIMEOUT):
                        last = await self._store.last_id()
                except (RedisError, OSError):
                    # Redis does not answer: the join tells the client to retry (a comment,
                    # the end of the stream; EventSource reconnects, a 4xx would stop it).
                    return wanted
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

    # -- ending -----------------------------------------------------------------------------

    def _cut_slow(self, client: SseClient) -> None:
        """The slow-client rule of :mod:`ticker.broadcast.fan_out`, said as a comment."""
        if client.gone:
            return
        self.slow_closed += 1
        logger.info("cutting off slow event-stream client at %s", client.cursor)
        client.write(comment(too_slow_reason(client.cursor)))
        self._end(client)

    def _end(self, client: SseClient) -> None:
        client.gone = True
        self._fan_out.remove(client)
        transport = client.transport
        if not transport.is_closing():
            transport.close()
        asyncio.get_running_loop().call_later(self.options.close_timeout, transport.abort)


def _error_body(code: ErrorCode, message: str) -> bytes:
    return (error_message(code, message) + "\n").encode()
