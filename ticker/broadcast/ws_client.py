"""One websocket client of the broadcaster, on its socket: its message budget and the close.

:class:`WsClient` is a :class:`ticker.broadcast.client.Client` (what the fan-out and joining
write to) whose connection is open while its websocket is, plus the server's close: the close
frame is queued without waiting and the connection is aborted after ``close_timeout`` if the
client never answers.
"""

from __future__ import annotations

import asyncio
import time

from websockets.asyncio.server import ServerConnection
from websockets.protocol import OPEN

from ticker.broadcast.client import Client, ClientGoneError, DrainTimeoutError
from ticker.broadcast.message_budget import MessageBudget
from ticker.wire.client_filter import Filter

__all__ = ["ClientGoneError", "DrainTimeoutError", "WsClient"]


class WsClient(Client):
    """One websocket client (see the module docstring)."""

    __slots__ = ("budget", "protocol")

    def __init__(self, connection: ServerConnection, wanted: Filter, *, budget: MessageBudget):
        super().__init__(connection, wanted)
        self.protocol = connection.protocol
        #: The messages it may still send.
        self.budget = budget

    def open(self) -> bool:
        """Whether the websocket is open (no close frame sent or received)."""
        return self.protocol.state is OPEN

    def take_message(self) -> bool:
        """Whether the client may send one more message now."""
        return self.budget.take(time.monotonic())

    def close(self, code: int, reason: str, *, close_timeout: float) -> None:
        """Queue a close frame without waiting; abort the connection if it lingers."""
        self.gone = True
        connection = self.connection
        if self.protocol.state is OPEN and not self.transport.is_closing():
            self.protocol.send_close(code, reason)
            connection.send_data()
        loop = asyncio.get_running_loop()
        loop.call_later(close_timeout, connection.transport.abort)
