"""``/ws``: one websocket client from its connection to its close.

A connecting client is checked (the read token, then its query: ``since`` and filters), joined
(:mod:`ticker.broadcast.joining`), then its messages are answered: ``subscribe`` (a new filter),
``ping``; a message that is not one gets an error. A client sending more than its message budget
(:mod:`ticker.broadcast.message_budget`) is closed with 1008, one too slow with 4008, every one
with 1001 when the server shuts down, and one joining while Redis fails with 1013 (retry).
A public client's filter (the read token, or none) leaves out the staff-only kinds, alerts
(:meth:`ticker.wire.client_filter.Filter.seen_by`), on connect and on ``subscribe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from redis.exceptions import RedisError
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ingest.store.stream_store import StreamStore
from ticker.board.live_state import RecentUpdates
from ticker.broadcast.access import Access
from ticker.broadcast.fan_out import FanOut
from ticker.broadcast.http_routes import request_token
from ticker.broadcast.joining import Joiner
from ticker.broadcast.message_budget import MessageBudget
from ticker.broadcast.metrics import BroadcasterMetrics
from ticker.broadcast.options import BroadcasterOptions
from ticker.broadcast.reader import StreamReader
from ticker.broadcast.ws_client import ClientGoneError, WsClient
from ticker.wire.client_requests import Ping, Subscribe, parse_client_message, parse_connect_query
from ticker.wire.framing import WEBSOCKET
from ticker.wire.protocol import error_message, pong_message, subscribed_message, too_slow_reason
from ticker.wire.protocol_codes import Close, ErrorCode, ProtocolError
from ticker.wire.stream_positions import id_key
from ticker.wire.ws_frames import EncodedUpdate, encode_text_frame

__all__ = ["PublicHooks", "StaffView", "WsEndpoint"]

logger = logging.getLogger(__name__)

Entries = Callable[[list[EncodedUpdate]], list[EncodedUpdate]]


@dataclass(frozen=True, slots=True)
class StaffView:
    """What staff clients are served from: their fan-out, snapshot and board (the whole
    stream), and their view of a backlog (held updates marked)."""

    fan_out: FanOut[WsClient]
    snapshot_frame: Callable[[], bytes]
    board: Callable[[], Mapping[str, Any]]
    visible: Entries


@dataclass(frozen=True, slots=True)
class PublicHooks:
    """The embargo's hooks for public clients' backlogs (``EmbargoView.public`` / ``missed``)."""

    visible: Entries = lambda entries: entries
    missed: Callable[[str | None], list[EncodedUpdate]] = lambda _since: []


class WsEndpoint:
    """Every websocket client of one broadcaster (see the module docstring)."""

    def __init__(
        self,
        options: BroadcasterOptions,
        *,
        metrics: BroadcasterMetrics,
        fan_out: FanOut[WsClient],
        store: StreamStore,
        recent: RecentUpdates,
        reader: StreamReader,
        history_slots: asyncio.Semaphore,
        snapshot_frame: Callable[[], bytes],
        board: Callable[[], Mapping[str, Any]],
        clock: Callable[[], Mapping[str, Any] | None] = lambda: None,
        staff: StaffView | None = None,
        public: PublicHooks | None = None,
    ) -> None:
        self.options = options
        self.metrics = metrics
        self._fan_out = fan_out
        self._staff = staff
        hooks = public or PublicHooks()
        self._joiner = Joiner(
            options,
            store=store,
            recent=recent,
            reader=reader,
            fan_out=fan_out,
            history_slots=history_slots,
            snapshot_frame=snapshot_frame,
            board=board,
            clock=clock,
            close=self._close_client,
            close_slow=self.close_slow,
            count_error=self._count_error,
            visible=hooks.visible,
            missed=hooks.missed,
        )
        self._staff_joiner = None
        if staff is not None:
            self._staff_joiner = Joiner(
                options,
                store=store,
                recent=recent,
                reader=reader,
                fan_out=staff.fan_out,
                history_slots=history_slots,
                snapshot_frame=staff.snapshot_frame,
                board=staff.board,
                clock=clock,
                close=self._close_client,
                close_slow=self.close_slow,
                count_error=self._count_error,
                visible=staff.visible,
                staff=True,
            )
        self._clients: set[WsClient] = set()

    @property
    def client_count(self) -> int:
        """Websocket clients connected now."""
        return len(self._clients)

    def close_all(self) -> None:
        """Close every client with 1001 (the server is shutting down)."""
        for client in list(self._clients):
            self._close_client(client, Close.GOING_AWAY, "server shutting down")

    def close_slow(self, client: WsClient) -> None:
        """Close a client too slow to keep up: 4008, with the last id written to it."""
        if client.gone:
            return
        self.metrics.slow_clients_closed.inc()
        logger.info("closing slow client %s at %s", client.connection.remote_address, client.cursor)
        self._close_client(client, Close.TOO_SLOW, too_slow_reason(client.cursor))

    async def handle(self, connection: ServerConnection) -> None:
        """The websocket handler: check, join, then answer the client's messages."""
        request = connection.request
        assert request is not None  # the handshake is done
        access = self.options.access.access(request_token(request))
        if access is None:
            self.metrics.rejected_tokens.labels(route="ws").inc()
            # A refused connection gets one error and the close, never hello: hello would tell
            # the stream and the night to whoever asks.
            self._count_error(ErrorCode.UNAUTHORIZED)
            message = "a read token is required: ?token=T or Authorization: Bearer T"
            connection.transport.write(
                encode_text_frame(error_message(ErrorCode.UNAUTHORIZED, message))
            )
            await connection.close(Close.UNAUTHORIZED, "unauthorized")
            return
        try:
            wanted = parse_connect_query(urlsplit(request.path).query)
        except ProtocolError as error:
            self._count_error(error.code)
            connection.transport.write(encode_text_frame(error_message(error.code, error.message)))
            await connection.close(Close.BAD_REQUEST, error.code.value)
            return
        options = self.options
        budget = MessageBudget(
            burst=options.message_burst, rate=options.messages_per_second, now=time.monotonic()
        )
        staff = access is Access.STAFF and self._staff_joiner is not None
        # A public client's filter leaves out the staff-only kinds (client_filter.py).
        client = WsClient(connection, wanted.filter.seen_by(staff=staff), budget=budget)
        client.staff = staff
        joiner = self._staff_joiner if client.staff and self._staff_joiner else self._joiner
        self._clients.add(client)
        self.metrics.connections.inc()
        self.metrics.clients.set(len(self._clients))
        try:
            await joiner.join(client, wanted)
            await self._answer_messages(client)
        except (ClientGoneError, ConnectionClosed):
            pass
        except (RedisError, OSError) as error:
            # Redis failed while the backlog was read: the client should come back later.
            logger.warning("cannot serve a joining client: %s", error or "Redis did not answer")
            self._close_client(client, Close.TRY_AGAIN_LATER, "redis unavailable; retry")
            with contextlib.suppress(ConnectionClosed):
                await connection.wait_closed()
        finally:
            self._fan_out_of(client).remove(client)
            client.gone = True
            self._clients.discard(client)
            self.metrics.clients.set(len(self._clients))

    async def _answer_messages(self, client: WsClient) -> None:
        """Answer what the client sends until it goes: subscribe, ping, or an error."""
        options = self.options
        async for raw in client.connection:
            if not client.take_message():
                self._count_error(ErrorCode.TOO_MANY_MESSAGES)
                client.write(
                    encode_text_frame(
                        error_message(
                            ErrorCode.TOO_MANY_MESSAGES,
                            f"more than {options.messages_per_second:g} messages a second",
                        )
                    )
                )
                self._close_client(client, Close.POLICY, "too many messages")
                return
            try:
                message = parse_client_message(raw)
            except ProtocolError as error:
                self._count_error(error.code)
                client.write(encode_text_frame(error_message(error.code, error.message)))
                continue
            if isinstance(message, Subscribe):
                wanted_now = message.filter.seen_by(staff=client.staff)
                self._fan_out_of(client).refilter(client, wanted_now)
                client.write(encode_text_frame(subscribed_message(message.filter)))
            elif isinstance(message, Ping):
                client.write(encode_text_frame(pong_message()))

    def _fan_out_of(self, client: WsClient) -> FanOut[WsClient]:
        return self._staff.fan_out if client.staff and self._staff else self._fan_out

    def release(self, entries: list[EncodedUpdate]) -> None:
        """Updates the embargo released: to clients still joining that are past them (live
        ones get them from the fan-out; the backlog of the others includes them). A staff
        client gets them without the mark its snapshot's ``embargo.held`` gave them."""
        for client in self._clients:
            if client.cursor is None or client.gone:
                continue
            if self._fan_out_of(client).has(client):
                continue
            cursor = id_key(client.cursor)
            lacking = [entry for entry in entries if entry.key <= cursor]
            if lacking:
                client.write(WEBSOCKET.updates(lacking, client.filter)[0])

    def _count_error(self, code: ErrorCode) -> None:
        self.metrics.client_errors.labels(code=code.value).inc()

    def _close_client(self, client: WsClient, code: int, reason: str) -> None:
        """Take the client out of the fan-out, queue a close frame, abort it if it lingers."""
        self._fan_out_of(client).remove(client)
        client.close(code, reason, close_timeout=self.options.close_timeout)
