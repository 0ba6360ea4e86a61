"""One client of the broadcaster on its socket, whatever the transport (``/ws`` or ``/sse``).

:class:`Client` has the :class:`ticker.broadcast.fan_out.Peer` shape the fan-out writes to,
plus what joining (:mod:`ticker.broadcast.joining`) needs: writing a page of backlog and waiting
for the client to drain it, and waiting for the reader without missing that the client went.
:class:`ticker.broadcast.ws_client.WsClient` and :class:`ticker.broadcast.sse_hub.SseClient`
add their transport's close.
"""

from __future__ import annotations

import asyncio
import contextlib

from websockets.asyncio.server import ServerConnection

from ticker.wire.client_filter import Filter

__all__ = ["Client", "ClientGoneError", "DrainTimeoutError"]


class ClientGoneError(Exception):
    """The client went away (or was closed) while it was being served."""


class DrainTimeoutError(Exception):
    """The client did not drain what was written to it in time: it is too slow."""


class Client:
    """One client on its connection (see the module docstring)."""

    __slots__ = ("board", "clock", "connection", "cursor", "filter", "gone", "staff", "transport")

    def __init__(self, connection: ServerConnection, wanted: Filter) -> None:
        self.connection = connection
        self.transport = connection.transport
        self.filter = wanted
        #: The last stream id written to this client, whatever its filter (a slow client's
        #: close carries it: every update up to it was written before).
        self.cursor: str | None = None
        self.gone = False
        #: The board this client was last sent (its snapshot's, until it goes live).
        self.board: object = None
        #: The replay clock this client was last sent (its snapshot's, until it goes live).
        self.clock: object = None
        #: Whether it presented the staff token (it gets what the embargo holds, marked).
        self.staff = False

    def open(self) -> bool:
        """Whether the connection is open at the transport's protocol level."""
        return not self.transport.is_closing()

    def writable(self) -> bool:
        return not self.gone and self.open() and not self.transport.is_closing()

    def write(self, data: bytes) -> None:
        """Queue ``data`` on the socket now, without waiting (nothing if the client is gone)."""
        if data and self.writable():
            self.transport.write(data)

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
