"""The load generator: one process holding thousands of minimal websocket client connections
(or, with ``--wire sse``, of ``/sse`` event-stream readers, measured the same way).

``websockets``' own client costs tens of kilobytes and a good deal of CPU per connection, which
would make the generator the bottleneck of a fan-out benchmark. Here a connection is a bare
non-blocking socket: the opening handshake goes out with ``loop.sock_sendall``, then a reader
callback (``loop.add_reader``) takes what the server sends with one ``recvmsg``, splits it into
frames (:class:`FrameReader`: server frames are never masked), answers pings with pongs (masked,
as a client must, so that the server's keepalive is satisfied) and counts or finds the
benchmark's markers with one C-speed ``bytes.count`` / ``find`` per read, not Python work per
frame. It sends nothing else.

**When a frame was delivered.** Every socket has ``SO_TIMESTAMPNS`` on: each ``recvmsg`` also
returns the wall time (``CLOCK_REALTIME``, the clock of ``time.time()``) at which the kernel
queued the last bytes read on the client's socket, that is when the server's write delivered
them. That is the delivery time the benchmark reports: it does not depend on how soon this
process, sharing the machine's cores with the server, got round to reading. The time this
process read them (``time.time()`` in the callback) is reported beside it.

Run by :mod:`tests.benchmarks.fanout`, one process per slice of the clients::

    python -m tests.benchmarks.load_client --port P --count 5000 --path '/ws?since=$' \\
        --ready live --source 127.0.0.2

It talks with its parent over stdin / stdout, one JSON object a line. First it prints
``{"event": "ready", "connected": n, "failed": f, "seconds": s}`` once every connection is up
(``--ready live``: once each got the broadcaster's ``live`` message; ``open``: once each
completed the handshake). Then it obeys commands:

``{"cmd": "latency", "timeout": s}``
    Say ``{"event": "armed"}`` at once, then wait for one frame carrying ``t0=<wall time>`` on
    every connection; answer ``{"event": "latency", "delivered": [...], "read": [...],
    "missing": k}``: for each connection, delivery time minus ``t0`` and read time minus
    ``t0``, in seconds.
``{"cmd": "burst", "frames": B, "timeout": s}``
    Say ``{"event": "armed"}`` at once, then count the frames carrying ``burst t0=`` on every
    connection; answer ``{"event": "burst", "delivered": [...], "read": [...], "frames": total,
    "missing": k}``: the wall times at which each connection's ``B``-th frame was delivered and
    read, how many burst frames came in all, and how many connections never got all of them.
``{"cmd": "quit"}`` (or end of input)
    Drop every connection and exit.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import resource
import socket
import struct
import sys
import time
from collections.abc import Sequence
from typing import Any, Final

__all__ = [
    "BURST_MARK",
    "PROBE_MARK",
    "EventReader",
    "FrameReader",
    "LoadClient",
    "main",
    "probe_time",
    "raise_open_files_limit",
]

#: A latency probe's text contains this, followed by the send time (``time.time()``).
PROBE_MARK: Final = b"t0="
#: A burst update's text contains this (and then its send time).
BURST_MARK: Final = b"burst t0="
_LIVE_MARK: Final = b'"type":"live"'

_OP_CLOSE: Final = 0x8
_OP_PING: Final = 0x9
# A masked frame with a zero masking key carries its payload unchanged.
_ZERO_MASK: Final = b"\x00\x00\x00\x00"
_CLOSE_FRAME: Final = b"\x88\x80" + _ZERO_MASK
# Linux: let connect() pick the port of a socket bound to a source address, so that several
# source addresses each get the whole ephemeral range.
_IP_BIND_ADDRESS_NO_PORT: Final = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)
# Linux: kernel receive timestamps as struct timespec (SO_TIMESTAMPNS / SCM_TIMESTAMPNS).
_SO_TIMESTAMPNS: Final = getattr(socket, "SO_TIMESTAMPNS", 35)
_TIMESPEC: Final = struct.Struct("@qq")
_ANCILLARY: Final = socket.CMSG_SPACE(_TIMESPEC.size)
_READ_SIZE: Final = 256 * 1024
_PROBE_DIGITS: Final = frozenset(b"0123456789.")


class FrameReader:
    """Splits the bytes a websocket server sends into frames. Pure: no I/O.

    Server frames are never masked; the broadcaster never fragments. :meth:`feed` walks the
    frame headers only: it returns the bytes of the frames it completed (headers included, so
    that a caller can count or find its markers in one C-speed call instead of a Python step
    per frame) and the control frames (ping, close...) among them as ``(opcode, payload)``.
    """

    __slots__ = ("_rest",)

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> tuple[bytes, list[tuple[int, bytes]]]:
        """Add ``data``; return (the complete frames' bytes, the control frames among them)."""
        buffer = self._rest + data if self._rest else data
        size = len(buffer)
        controls: list[tuple[int, bytes]] = []
        position = 0
        while size - position >= 2:
            length = buffer[position + 1] & 0x7F
            start = position + 2
            if length == 126:
                if size - position < 4:
                    break
                length = (buffer[start] << 8) | buffer[start + 1]
                start += 2
            elif length == 127:
                if size - position < 10:
                    break
                length = int.from_bytes(buffer[start : start + 8], "big")
                start += 8
            end = start + length
            if end > size:
                break
            if buffer[position] & 0x08:  # a control frame: close, ping, pong
                controls.append((buffer[position] & 0x0F, buffer[start:end]))
            position = end
        if position == size:
            self._rest = b""
            return buffer, controls
        self._rest = buffer[position:]
        return buffer[:position], controls


def probe_time(payload: bytes, mark: bytes = PROBE_MARK) -> float | None:
    """The send time written after ``mark`` in a frame's payload, or None if there is none."""
    start = payload.find(mark)
    if start < 0:
        return None
    start += len(mark)
    end = start
    while end < len(payload) and payload[end] in _PROBE_DIGITS:
        end += 1
    try:
        return float(payload[start:end])
    except ValueError:
        return None


class EventReader:
    """Splits the bytes of a server-sent event stream into whole events. Pure: no I/O.

    The same interface as :class:`FrameReader`: :meth:`feed` returns the bytes of the events
    it completed (so that a marker is never cut in two between reads) and no control frames.
    """

    __slots__ = ("_rest",)

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> tuple[bytes, list[tuple[int, bytes]]]:
        """Add ``data``; return (the complete events' bytes, [])."""
        buffer = self._rest + data if self._rest else data
        cut = buffer.rfind(b"\n\n")
        if cut < 0:
            self._rest = buffer
            return b"", []
        self._rest = buffer[cut + 2 :]
        return buffer[: cut + 2], []


def event_stream_request(host: str, port: int, path: str) -> bytes:
    """A plain GET of an event stream (``/sse``)."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()


def handshake_request(host: str, port: int, path: str) -> bytes:
    """The opening handshake of a client (RFC 6455 section 4.1), with a random key."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def _pong(payload: bytes) -> bytes:
    return bytes((0x8A, 0x80 | len(payload))) + _ZERO_MASK + payload


def _stamp(ancillary: list[tuple[int, int, bytes]]) -> float | None:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(data)
            return float(seconds) + float(nanoseconds) / 1e9
    return None


class _Connection:
    """One client connection: its socket and what the current measurement saw of it."""

    __slots__ = ("burst_frames", "done", "frames", "open", "ready", "sock")

    def __init__(self, sock: socket.socket, *, events: bool = False) -> None:
        self.sock = sock
        self.frames: FrameReader | EventReader = EventReader() if events else FrameReader()
        self.ready: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.open = True
        self.burst_frames = 0
        self.done = False


class LoadClient:
    """The connections of one load-generator process, and what they measured."""

    def __init__(
        self, *, host: str, port: int, path: str, ready_on_live: bool, wire: str = "ws"
    ) -> None:
        #: ``ws`` (websocket frames) or ``sse`` (a server-sent event stream).
        self.wire = wire
        self.host = host
        self.port = port
        self.path = path
        self.ready_on_live = ready_on_live
        self.connections: list[_Connection] = []
        self._loop = asyncio.get_running_loop()
        self._mode = "idle"
        self._waiting = 0
        self._settled = asyncio.Event()
        #: Per connection, in the current measurement: (delivery, read) wall times.
        self.delivered: list[float] = []
        self.read: list[float] = []
        self.sent: float = 0.0
        self.burst_target = 0
        self.burst_total = 0
        self.lost = 0

    # -- connecting -----------------------------------------------------------------------

    async def connect(self, count: int, *, source: str | None, concurrency: int) -> int:
        """Open ``count`` connections, ``concurrency`` handshakes at a time; return failures."""
        gate = asyncio.Semaphore(concurrency)

        async def one() -> bool:
            async with gate:
                try:
                    async with asyncio.timeout(30.0):
                        return await self._open(source)
                except (OSError, TimeoutError):
                    return False

        results = await asyncio.gather(*(one() for _ in range(count)))
        return sum(1 for ok in results if not ok)

    async def _open(self, source: str | None) -> bool:
        loop = self._loop
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
            if source is not None:
                sock.setsockopt(socket.IPPROTO_IP, _IP_BIND_ADDRESS_NO_PORT, 1)
                sock.bind((source, 0))
            await loop.sock_connect(sock, (self.host, self.port))
            request = event_stream_request if self.wire == "sse" else handshake_request
            await loop.sock_sendall(sock, request(self.host, self.port, self.path))
            head = b""
            while (end := head.find(b"\r\n\r\n")) < 0 and (
                chunk := await loop.sock_recv(sock, 4096)
            ):
                head += chunk
        except BaseException:
            sock.close()
            raise
        status = b" 200 " if self.wire == "sse" else b" 101 "
        if end < 0 or status not in head[: head.find(b"\r\n")]:
            sock.close()
            return False
        connection = _Connection(sock, events=self.wire == "sse")
        self.connections.append(connection)
        if not self.ready_on_live:
            connection.ready.set_result(True)
        if end + 4 < len(head):
            self._take(connection, head[end + 4 :], None)
        loop.add_reader(sock, self._readable, connection)
        if await connection.ready:
            return True
        self.connections.remove(connection)
        return False

    # -- reading --------------------------------------------------------------------------

    def _readable(self, connection: _Connection) -> None:
        try:
            data, ancillary, _flags, _address = connection.sock.recvmsg(_READ_SIZE, _ANCILLARY)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
            ancillary = []
        if not data:
            self._drop(connection)
            return
        self._take(connection, data, _stamp(ancillary))

    def _take(self, connection: _Connection, data: bytes, stamp: float | None) -> None:
        complete, controls = connection.frames.feed(data)
        if complete:
            self._on_frames(connection, complete, stamp)
        for opcode, payload in controls:
            if opcode == _OP_PING:
                self._send(connection, _pong(payload))
            elif opcode == _OP_CLOSE:
                self._send(connection, _CLOSE_FRAME)
                self._drop(connection)

    def _send(self, connection: _Connection, data: bytes) -> None:
        # Pongs and close frames are tiny: a socket that cannot take them now is lost anyway.
        if connection.open:
            with contextlib.suppress(OSError):
                connection.sock.send(data)

    def _drop(self, connection: _Connection) -> None:
        if not connection.open:
            return
        connection.open = False
        self._loop.remove_reader(connection.sock)
        connection.sock.close()
        if not connection.ready.done():
            connection.ready.set_result(False)
        self.lost += 1
        if self._mode != "idle" and not connection.done:
            connection.done = True
            self._one_settled()

    def _on_frames(self, connection: _Connection, frames: bytes, stamp: float | None) -> None:
        mode = self._mode
        if mode == "burst":
            if connection.done:
                return
            count = frames.count(BURST_MARK)
            if not count:
                return
            self.burst_total += count
            connection.burst_frames += count
            if connection.burst_frames >= self.burst_target:
                self._record(connection, stamp, 0.0)
        elif mode == "latency":
            if connection.done:
                return
            sent = probe_time(frames)
            if sent is not None:
                self._record(connection, stamp, sent)
        elif not connection.ready.done() and _LIVE_MARK in frames:
            connection.ready.set_result(True)

    def _record(self, connection: _Connection, stamp: float | None, origin: float) -> None:
        now = time.time()
        connection.done = True
        self.delivered.append((now if stamp is None else stamp) - origin)
        self.read.append(now - origin)
        self._one_settled()

    # -- measuring ------------------------------------------------------------------------

    def _one_settled(self) -> None:
        self._waiting -= 1
        if self._waiting <= 0:
            self._settled.set()

    def _arm(self, mode: str) -> None:
        self._settled = asyncio.Event()
        self.delivered = []
        self.read = []
        live = 0
        for connection in self.connections:
            connection.done = not connection.open
            connection.burst_frames = 0
            live += connection.open
        self._waiting = live
        self._mode = mode
        if not live:
            self._settled.set()

    async def _wait(self, within: float) -> int:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._settled.wait()
        self._mode = "idle"
        return max(0, self._waiting)

    async def measure_latency(self, within: float) -> dict[str, Any]:
        """Wait (``within`` seconds at most) for one probe on every connection: its latencies."""
        self._arm("latency")
        _say({"event": "armed"})
        missing = await self._wait(within)
        return {
            "event": "latency",
            "delivered": self.delivered,
            "read": self.read,
            "missing": missing,
        }

    async def measure_burst(self, frames: int, within: float) -> dict[str, Any]:
        """Wait (``within`` s at most) for ``frames`` burst frames on every connection."""
        self.burst_target = frames
        self.burst_total = 0
        self._arm("burst")
        _say({"event": "armed"})
        missing = await self._wait(within)
        return {
            "event": "burst",
            "delivered": self.delivered,
            "read": self.read,
            "frames": self.burst_total,
            "missing": missing,
        }

    def close(self) -> None:
        """Drop every connection at once."""
        self._mode = "idle"
        for connection in self.connections:
            if connection.open:
                connection.open = False
                self._loop.remove_reader(connection.sock)
                connection.sock.close()


def raise_open_files_limit() -> int:
    """Raise this process's open-files limit to its hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


async def _commands() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def _run(args: argparse.Namespace) -> int:
    client = LoadClient(
        host=args.host,
        port=args.port,
        path=args.path,
        ready_on_live=args.ready == "live",
        wire=args.wire,
    )
    started = time.monotonic()
    failed = await client.connect(args.count, source=args.source, concurrency=args.concurrency)
    _say(
        {
            "event": "ready",
            "connected": len(client.connections),
            "failed": failed,
            "seconds": time.monotonic() - started,
        }
    )
    reader = await _commands()
    try:
        while line := await reader.readline():
            command = json.loads(line)
            name = command.get("cmd")
            timeout = float(command.get("timeout", 60.0))
            if name == "latency":
                _say(await client.measure_latency(timeout))
            elif name == "burst":
                _say(await client.measure_burst(int(command["frames"]), timeout))
            elif name == "quit":
                break
            else:
                _say({"event": "error", "message": f"unknown command {name!r}"})
    finally:
        client.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one load-generator process (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.load_client")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/ws?since=$")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--ready", choices=("live", "open"), default="live")
    parser.add_argument("--wire", choices=("ws", "sse"), default="ws", help="websocket or /sse")
    parser.add_argument("--source", default=None, help="source address (127.0.0.x)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--nice", type=int, default=0, help="lower this process's priority by this much"
    )
    args = parser.parse_args(argv)
    raise_open_files_limit()
    if args.nice:
        os.nice(args.nice)
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
