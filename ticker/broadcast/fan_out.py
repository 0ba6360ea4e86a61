"""The fan-out to live clients (``/ws`` and ``/sse``), with no I/O: groups by filter, one write
per client, and the slow-client policy.

Live clients are grouped by filter. For each batch read, the bytes of the messages a group
wants are joined once (the transport's :class:`~ticker.wire.framing.Framing`: websocket frames
by :func:`ticker.wire.ws_frames.join_frames`, events by :func:`ticker.wire.sse.join_events`),
then handed to each client of the
group with one non-blocking ``write`` (as :func:`websockets.asyncio.server.broadcast` does,
without re-framing per client: server frames are unmasked and no extension is negotiated, so
the bytes are the same for all). Nothing here ever waits for a client.

**Slow clients.** A client whose unsent bytes (its transport's write buffer) are over
``max_pending_bytes`` when a batch is due is not written to: :meth:`FanOut.publish` returns it,
and the caller closes it (4008, ``too slow; last_id=<its cursor>``; on ``/sse`` a comment saying the
same, then the end of the stream). Its cursor is the last
stream id written to it, so it can resume from there.

A client is anything with the :class:`Peer` shape: the broadcaster's websocket clients
(:class:`ticker.broadcast.ws_client.WsClient`), its event-stream clients
(:class:`ticker.broadcast.sse_hub.SseClient`), or plain objects in tests, without sockets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

from ticker.wire.client_filter import Filter
from ticker.wire.framing import WEBSOCKET, Framing
from ticker.wire.ws_frames import EncodedUpdate

__all__ = ["ByteSink", "FanOut", "Peer"]


class ByteSink(Protocol):
    """Where a client's bytes go: the part of an ``asyncio.Transport`` the fan-out uses."""

    def write(self, data: bytes) -> None: ...

    def is_closing(self) -> bool: ...

    def get_write_buffer_size(self) -> int: ...


class Peer(Protocol):
    """One client as the fan-out sees it."""

    #: What the client wants (its group).
    filter: Filter
    #: The last stream id written to it, whatever its filter.
    cursor: str | None
    #: Closed by the server, or gone.
    gone: bool

    @property
    def transport(self) -> ByteSink: ...

    def open(self) -> bool:
        """Whether its connection is open (not closing) at the protocol level."""
        ...


P = TypeVar("P", bound=Peer)


class FanOut(Generic[P]):
    """The live clients, by filter (see the module docstring)."""

    __slots__ = ("_groups", "framing", "max_pending_bytes")

    def __init__(self, *, max_pending_bytes: int, framing: Framing = WEBSOCKET) -> None:
        self.max_pending_bytes = max_pending_bytes
        self.framing = framing
        self._groups: dict[Filter, set[P]] = {}

    def add(self, client: P) -> None:
        """Make ``client`` live: it gets every batch published from now on."""
        self._groups.setdefault(client.filter, set()).add(client)

    def remove(self, client: P) -> None:
        """Take ``client`` out (nothing if it is not live)."""
        group = self._groups.get(client.filter)
        if group is not None:
            group.discard(client)
            if not group:
                del self._groups[client.filter]

    def has(self, client: P) -> bool:
        """Whether ``client`` is live here."""
        return client in self._groups.get(client.filter, ())

    def refilter(self, client: P, wanted: Filter) -> None:
        """Give ``client`` a new filter, moving it to that group if it is live."""
        group = self._groups.get(client.filter)
        if group is not None and client in group:
            group.discard(client)
            if not group:
                del self._groups[client.filter]
            self._groups.setdefault(wanted, set()).add(client)
        client.filter = wanted

    def clients(self) -> Iterator[P]:
        """Every live client."""
        for clients in self._groups.values():
            yield from clients

    def publish(self, entries: list[EncodedUpdate]) -> tuple[int, list[P]]:
        """Write a batch to every live client; return the updates written and the slow clients.

        A slow client gets nothing (its cursor stays where it was): the caller closes it.
        """
        last_id = entries[-1].id
        limit = self.max_pending_bytes
        slow: list[P] = []
        sent = 0
        join = self.framing.updates
        for wanted, clients in self._groups.items():
            data, count = join(entries, wanted)
            for client in clients:
                transport = client.transport
                if client.gone or transport.is_closing() or not client.open():
                    continue
                if transport.get_write_buffer_size() > limit:
                    slow.append(client)
                    continue
                if count:
                    transport.write(data)
                    sent += count
                client.cursor = last_id
        return sent, slow

    def broadcast(self, frame: bytes) -> None:
        """Write one message (its websocket frame) to every live client that is still open
        (``board``, ``health``)."""
        if not self._groups:
            return
        data = self.framing.frame(frame)
        for clients in self._groups.values():
            for client in clients:
                transport = client.transport
                if not client.gone and client.open() and not transport.is_closing():
                    transport.write(data)
