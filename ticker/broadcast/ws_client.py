"""One websocket client of the broadcaster, on its socket: writes, drains, waits, the close.

:class:`WsClient` has the :class:`ticker.broadcast.fan_out.Peer` shape the fan-out writes to,
plus what joining needs (writing a page of backlog and waiting for the client to drain it) and
the server's close: the close frame is queued without waiting and the connection is aborted
after ``close_timeout`` if the client never answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from websockets.asyncio.server import ServerConnection
from websockets.protocol import OPEN

from ticker.broadcast.message_budget import MessageBudget
from ticker.wire.protocol import Filter

__all__ = ["ClientGoneError", "DrainTimeoutError", "WsClient"]


class ClientGoneError(Exception):
    """The client went away (or was closed) while it was being served."""


class DrainTimeoutError(Exception):
    """The client did not drain what was written to it in time: it is too slow."""


class WsClient:
    """One websocket client (see the module docstring)."""

    __slots__ = (
        "board",
        "budget",
        "clock",
        "connection",
        "cursor",
        "filter",
        "gone",
        "protocol",
        "transport",
    )

    def __init__(self, connection: ServerConnection, wanted: Filter, *, budget: MessageBudget):
        self.connection = connection
        self.transport = connection.transport
        self.protocol = connection.protocol
        self.filter = wanted
        #: The last stream id written to this client, whatever its filter (the 4008 reason
        #: carries it: every update up to it was written before the close frame).
        self.cursor: str | None = None
        self.gone = False
        #: The messages it may still send.
        self.budget = budget
        #: The board this client was last sent (its snapshot's, until it goes live).
        self.board: object = None
        #: The replay clock this client was last sent (its snapshot's, until it goes live).
        self.clock: object = None

    def open(self) -> bool:
        """Whether the websocket is open (no close frame sent or received)."""
        return self.protocol.state is OPEN

    def writable(self) -> bool:
        return not self.gone and self.open() and not self.transport.is_closing()

    def write(self, data: bytes) -> None:
        """Queue ``data`` on the socket now, without waiting (nothing if the client is gone)."""
        if data and self.writable():
            self.transport.write(data)

    def take_message(self) -> bool:
        """Whether the client may send one more message now."""
        return self.budget.take(time.monotonic())

    async def write_and_drain(self, data: bytes, *, within: float) -> None:
        """Write ``data``, then wait until the client has read it.

        Raises :class:`ClientGoneError` if it went, :class:`DrainTimeoutError` if it did not
        drain within ``within`` seconds.
        """
        if not self.writable():
            raise ClientGoneError
        self.transport.write(data)
        try:
            async with asyncio.timeout(within):
                await self.connection.drain()
        except TimeoutError:
            raise DrainTimeoutError from None
        if not self.writable():
            raise ClientGoneError

    async def wait_for(self, event: asyncio.Event) -> None:
        """Wait for ``event``, a second at a time, so that the client gone meanwhile is noticed."""
        while not event.is_set():
            if not self.writable():
                raise ClientGoneError
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await event.wait()

    def close(self, code: int, reason: str, *, close_timeout: float) -> None:
        """Queue a close frame without waiting; abort the connection if it lingers."""
        self.gone = True
        connection = self.connection
        if self.protocol.state is OPEN and not self.transport.is_closing():
            self.protocol.send_close(code, reason)
            connection.send_data()
        loop = asyncio.get_running_loop()
        loop.call_later(close_timeout, connection.transport.abort)
