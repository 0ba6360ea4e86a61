"""Faults: `soiree serve` restarted (SIGTERM, then SIGKILL) under 1,000 connected clients.

The clients are small websocket clients of the test's own (a handshake and an unmasked-frame
reader over asyncio streams: a thousand ``websockets`` connections would cost the test more CPU
than the server under test). Each resumes as the protocol says (``docs/protocol.md``,
"Resuming"): from the id of the last update it received, or the ``last_id`` of ``live``. Updates
are appended all along, during the restarts too; in the end every client must hold the stream's
whole sequence, in order, each update once.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import random
import resource
import signal
import socket
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pytest
from redis.asyncio import Redis

from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import make_update
from tests.plugins.ingest import soiree_command

CLIENTS: Final = 1000
BEFORE: Final = 100  # updates on the stream before the clients connect
DURING: Final = 300  # updates appended while the broadcaster restarts, twice
_GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class _ClosedError(Exception):
    """The server closed the connection (close frame or end of stream)."""


@dataclass
class SwarmClient:
    """One light websocket client that resumes by id after every disconnection."""

    port: int
    ids: list[str] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)
    cursor: str | None = None
    connections: int = 0
    drops: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    live: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    _writer: asyncio.StreamWriter | None = None

    async def run(self, target: _Target) -> None:
        """Connect, read, reconnect on any drop, until the cursor reaches the target id."""
        delay = 0.05
        while not self.done.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                await asyncio.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)
                continue
            delay = 0.05
            try:
                await self._session(reader, writer, target)
            except (_ClosedError, OSError, asyncio.IncompleteReadError) as error:
                self.drops.append(repr(error)[:120])
            finally:
                writer.close()
            if not self.done.is_set():
                # A browser waits a little before coming back; so do we (and the server's
                # thousand reconnections spread out).
                await asyncio.sleep(0.05 + 0.25 * random.random())

    def reached(self, target: _Target) -> None:
        """Stop if the cursor is at ``target`` already (else the next frame will tell)."""
        if target.id is not None and self.cursor == target.id:
            self.done.set()
            if self._writer is not None:
                self._writer.close()

    async def _session(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, target: _Target
    ) -> None:
        # The first time without since (the recent updates, as the web page does), then from
        # the cursor.
        path = "/ws" if self.cursor is None else f"/ws?since={self.cursor}"
        key = base64.b64encode(os.urandom(16))
        self._writer = writer
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise _ClosedError(head.split(b"\r\n", 1)[0].decode())
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode()
        headers = dict(
            line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:] if line
        )
        if {name.lower(): value for name, value in headers.items()}.get(
            "sec-websocket-accept"
        ) != accept:
            raise _ClosedError("bad Sec-WebSocket-Accept")
        self.connections += 1
        buffer = bytearray()
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                raise _ClosedError("end of stream")
            buffer += chunk
            consumed = self._frames(buffer, writer)
            del buffer[:consumed]
            if target.id is not None and self.cursor == target.id:
                self.done.set()
                return

    def _frames(self, buffer: bytearray, writer: asyncio.StreamWriter) -> int:
        """Handle every whole frame at the start of ``buffer``; return the bytes used."""
        offset = 0
        size = len(buffer)
        while size - offset >= 2:
            first, second = buffer[offset], buffer[offset + 1]
            length, start = second & 0x7F, offset + 2
            if second & 0x80:
                raise _ClosedError("a masked frame from the server")
            if length == 126:
                if size - start < 2:
                    break
                (length,) = struct.unpack_from("!H", buffer, start)
                start += 2
            elif length == 127:
                if size - start < 8:
                    break
                (length,) = struct.unpack_from("!Q", buffer, start)
                start += 8
            if size - start < length:
                break
            payload = bytes(buffer[start : start + length])
            offset = start + length
            opcode = first & 0x0F
            if opcode == 0x1 and first & 0x80:
                self._message(json.loads(payload))
            elif opcode == 0x8:
                raise _ClosedError(f"close frame {payload[:2].hex()} {payload[2:]!r}")
            elif opcode == 0x9:
                # A pong, masked with a zero key (the payload stays as it is).
                writer.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
            elif opcode != 0xA:
                raise _ClosedError(f"unexpected frame: opcode {opcode}, fin {first >> 7}")
        return offset

    def _message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "update":
            self.ids.append(message["id"])
            self.uids.append(message["uid"])
            self.cursor = message["id"]
        elif kind == "live":
            if message.get("last_id") is not None:
                self.cursor = _later(self.cursor, message["last_id"])
            self.live.set()
        elif kind not in ("hello", "snapshot", "health", "board", "clock"):
            self.unexpected.append(json.dumps(message))


@dataclass
class _Target:
    """The id of the last update appended, once the writer is done."""

    id: str | None = None


def _later(current: str | None, other: str) -> str:
    if current is None:
        return other
    key = tuple(int(part) for part in current.split("-"))
    other_key = tuple(int(part) for part in other.split("-"))
    return other if other_key > key else current


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _raise_open_files(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        if wanted < needed:
            pytest.fail(f"{CLIENTS} clients need {needed} open files; the hard limit is {hard}")


@dataclass
class _Server:
    """A `soiree serve` process, and what it wrote on stderr (read all along: a full pipe
    would block it)."""

    process: asyncio.subprocess.Process
    reading: asyncio.Task[None]
    log: list[str] = field(default_factory=list)


async def _serve(port: int, redis_url: str, stream: str) -> _Server:
    """Start `soiree serve` on ``port`` and wait until it listens."""
    process = await asyncio.create_subprocess_exec(
        *soiree_command(
            "serve", "--port", str(port), "--redis-url", redis_url, "--stream", stream,
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    line = await asyncio.wait_for(process.stderr.readline(), timeout=30 * TIMEOUT_FACTOR)
    assert line.startswith(b"soiree serve: http://"), line
    log: list[str] = []

    async def read(stderr: asyncio.StreamReader) -> None:
        async for raw in stderr:
            log.append(raw.decode(errors="replace").rstrip())  # noqa: PERF401 - as they come

    return _Server(process, asyncio.create_task(read(process.stderr)), log)


async def _append(store: StreamStore, first: int, count: int) -> None:
    await store.append_many([make_update(n) for n in range(first, first + count)])


async def _write_during(store: StreamStore, *, every: float = 0.05, batch: int = 5) -> None:
    """Append DURING updates, a batch at a time, across the restarts."""
    for first in range(BEFORE, BEFORE + DURING, batch):
        await _append(store, first, batch)
        await asyncio.sleep(every)


async def _wait_all(clients: Sequence[SwarmClient], event: str, *, within: float) -> None:
    waits = [getattr(client, event).wait() for client in clients]
    await asyncio.wait_for(asyncio.gather(*waits), timeout=within * TIMEOUT_FACTOR)


async def _restart(
    server: _Server,
    port: int,
    redis_url: str,
    stream: str,
    clients: Sequence[SwarmClient],
    *,
    crash: bool,
    servers: list[_Server],
) -> tuple[_Server, float]:
    """Stop `soiree serve` (SIGTERM, or SIGKILL for a crash) and start it again on ``port``.

    Returns the new server and the seconds from the old one's end to every client live again;
    the new server joins ``servers`` as soon as it runs (stopped by the test however it ends).
    """
    for client in clients:
        client.live.clear()
    if crash:
        server.process.kill()
    else:
        server.process.send_signal(signal.SIGTERM)  # every client gets 1001
    await asyncio.wait_for(server.process.wait(), timeout=15 * TIMEOUT_FACTOR)
    await server.reading
    stopped = time.monotonic()
    restarted = await _serve(port, redis_url, stream)
    servers.append(restarted)
    await _wait_all(clients, "live", within=30)
    return restarted, time.monotonic() - stopped


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_a_thousand_clients_resume_through_two_restarts_with_nothing_lost_or_doubled(
    redis_client: Redis, redis_url: str, stream_key: str
) -> None:
    """SIGTERM then SIGKILL of `soiree serve`: each of 1,000 clients ends with the whole stream."""
    _raise_open_files(2 * CLIENTS + 256)
    store = StreamStore(redis_client, stream_key)
    await _append(store, 0, BEFORE)
    port = _free_port()
    server = await _serve(port, redis_url, stream_key)
    servers = [server]
    target = _Target()
    clients = [SwarmClient(port) for _ in range(CLIENTS)]
    running: list[asyncio.Task[None]] = []
    figures: dict[str, float] = {}
    try:
        started = time.monotonic()
        for index, client in enumerate(clients):
            running.append(asyncio.create_task(client.run(target)))
            if index % 100 == 99:
                await asyncio.sleep(0.02)  # a thousand readers arrive within a fraction of a second
        await _wait_all(clients, "live", within=30)
        figures["all live"] = time.monotonic() - started
        writing = asyncio.create_task(_write_during(store))
        await asyncio.sleep(0.5)
        server, figures["back after SIGTERM"] = await _restart(
            server, port, redis_url, stream_key, clients, crash=False, servers=servers
        )
        server, figures["back after SIGKILL"] = await _restart(
            server, port, redis_url, stream_key, clients, crash=True, servers=servers
        )
        await asyncio.wait_for(writing, timeout=30 * TIMEOUT_FACTOR)
        target.id = await store.last_id()
        written = time.monotonic()
        for client in clients:
            client.reached(target)
        await _wait_all(clients, "done", within=30)
        figures["all caught up"] = time.monotonic() - written
    finally:
        for task in running:
            task.cancel()
        ended = await asyncio.gather(*running, return_exceptions=True)
        # Every server started, also one a failed wait left running (it used to outlive the test).
        for each in servers:
            if each.process.returncode is None:
                each.process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(each.process.wait(), timeout=15 * TIMEOUT_FACTOR)
            await each.reading
        # A client that crashed (rather than dropped) fails the test with its own error, not
        # with the timeout of the wait it never finished.
        crashed = [error for error in ended if isinstance(error, Exception)]
        if crashed:
            crashed[0].add_note(f"{len(crashed)} of {CLIENTS} clients crashed")
            raise crashed[0]
    stream_ids = [update.id for update in (await store.history()).updates]
    assert len(stream_ids) == BEFORE + DURING
    wrong = [index for index, client in enumerate(clients) if client.ids != stream_ids]
    assert wrong == [], f"{len(wrong)} clients differ, e.g. {clients[wrong[0]].ids[:5]}..."
    assert all(len(set(client.uids)) == len(stream_ids) for client in clients)
    assert all(client.connections >= 3 for client in clients)
    assert [c.unexpected for c in clients if c.unexpected] == []
    logs = [line for started in servers for line in started.log]
    assert not any("Traceback" in line for line in logs), "\n".join(logs)
    retried = sum(1 for c in clients for drop in c.drops if "redis unavailable" in drop)
    print(
        f"broadcaster restarts: {CLIENTS} clients, {BEFORE + DURING} updates each;"
        + "".join(f" {name} {seconds:.2f} s;" for name, seconds in figures.items())
        + f" {retried} joins told 1013 (retry); {len(logs)} server log lines"
    )
