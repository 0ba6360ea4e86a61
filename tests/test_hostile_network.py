"""Hostile network input: fuzzed websocket frames and handshakes, a slowloris, connection churn,
a 50 MB page, a billion-laughs feed and redirects to other schemes or past the cap.

Everything talks to servers this test starts on 127.0.0.1 (the broadcaster, ``soiree serve``
in a subprocess, an aiohttp server of hostile sources); nothing goes beyond loopback. Each test
proves one guarantee of docs/reliability.md ("Hostile input") and fails when it breaks:

- the broadcaster answers every malformed handshake or frame with an HTTP error or the close
  code RFC 6455 prescribes, logs no error, and keeps serving the clients that behave;
- a slowloris cannot hold the websocket port: connections that do not finish their handshake
  within ``open_timeout`` are dropped, and a normal client is served meanwhile;
- 5,000 connections opened and closed leave the server's memory where it was;
- a 50 MB page (declared, streamed or gzip-bombed) stops at the size cap, with a health error;
- a feed's entity tricks (billion laughs, external entities) expand nothing and read nothing;
- a redirect to ``file:`` or ``ftp:``, or a chain past the cap, is refused with a clear error.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import logging
import os
import random
import re
import socket
import struct
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis
from websockets.asyncio.client import connect as ws_connect

from ingest.model.night import Night
from ingest.model.text_cleaning import MAX_TEXT_LENGTH
from ingest.polling.runner import IngestReport
from ingest.sources.config import load_ingest_config
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import (
    BroadcasterStarter,
    RunningBroadcaster,
    make_update,
    recv_until,
    recv_updates,
)
from tests.plugins.ingest import (
    eventually,
    ingest_until,
    serve_test_app,
    soiree_command,
    sources_toml,
)

MIB: Final = 1024 * 1024
#: The size of the hostile pages: ten times the default cap of 5 MiB.
HUGE_PAGE: Final = 50 * MIB
DEFAULT_CAP: Final = 5 * MIB
#: A redirect target with a liveblog entry in it ("<p>21h00: x</p>").
DATA_URL: Final = "data:text/html;base64,PHA+MjFoMDA6IHg8L3A+"

# -- websocket frames and handshakes, by hand ---------------------------------------------------

OP_CONT: Final = 0x0
OP_TEXT: Final = 0x1
OP_BINARY: Final = 0x2
OP_CLOSE: Final = 0x8
OP_PING: Final = 0x9


def handshake(
    port: int, path: str = "/ws?since=$", *, headers: Sequence[tuple[str, str]] = ()
) -> bytes:
    """A valid opening handshake request (extra ``headers`` appended)."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    masked: bool = True,
    length: int | None = None,
) -> bytes:
    """One client frame as bytes; ``length`` overrides the declared payload length."""
    declared = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv & 0x7) << 4 | opcode & 0xF])
    mask_bit = 0x80 if masked else 0
    if declared < 126:
        head += bytes([mask_bit | declared])
    elif declared < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", declared)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", declared)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close_payload(code: int, reason: bytes = b"") -> bytes:
    """The payload of a close frame."""
    return struct.pack("!H", code) + reason


@dataclass
class Exchange:
    """What the server did with one hostile connection."""

    status: int | None = None
    frames: list[tuple[int, bytes]] = field(default_factory=list)
    eof: bool = False

    @property
    def close_code(self) -> int | None:
        """The code of the server's close frame, if it sent one."""
        for opcode, payload in self.frames:
            if opcode == OP_CLOSE:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        return None

    def texts(self) -> list[str]:
        """The server's text messages."""
        return [payload.decode() for opcode, payload in self.frames if opcode == OP_TEXT]


class RawConnection:
    """A TCP connection speaking websocket by hand, with a deadline on every read."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.buffer = bytearray()
        self.eof = False

    @classmethod
    async def open(cls, port: int) -> RawConnection:
        """Connect to 127.0.0.1:port."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes, *, eof: bool = False) -> None:
        """Write ``data`` (and half-close after it); a connection the server dropped is fine."""
        with contextlib.suppress(ConnectionError):
            self.writer.write(data)
            if eof and self.writer.can_write_eof():
                self.writer.write_eof()
            await self.writer.drain()

    async def _fill(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self.eof:
            return False
        try:
            data = await asyncio.wait_for(self.reader.read(1 << 16), remaining)
        except TimeoutError:
            return False
        except ConnectionError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    async def read_status(self, deadline: float) -> int | None:
        """The status of the server's HTTP answer (None: it sent none before closing)."""
        while b"\r\n\r\n" not in self.buffer:
            if not await self._fill(deadline):
                break
        match = re.match(rb"HTTP/1\.1 (\d{3}) ", bytes(self.buffer))
        if match is None:
            return None
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        body = int(length[1]) if length else 0
        while len(rest) < body and await self._fill(deadline):
            rest = bytes(self.buffer).partition(b"\r\n\r\n")[2]
        self.buffer = bytearray(rest[body:])
        return int(match[1])

    async def read_frame(self, deadline: float) -> tuple[int, bytes] | None:
        """The server's next frame (unmasked), or None on EOF or at the deadline."""
        while True:
            parsed = self._parse()
            if parsed is not None:
                return parsed
            if not await self._fill(deadline):
                return None

    def _parse(self) -> tuple[int, bytes] | None:
        data = self.buffer
        if len(data) < 2:
            return None
        opcode, length, offset = data[0] & 0xF, data[1] & 0x7F, 2
        if length == 126:
            if len(data) < 4:
                return None
            (length,), offset = struct.unpack("!H", data[2:4]), 4
        elif length == 127:
            if len(data) < 10:
                return None
            (length,), offset = struct.unpack("!Q", data[2:10]), 10
        if len(data) < offset + length:
            return None
        payload = bytes(data[offset : offset + length])
        del data[: offset + length]
        return opcode, payload

    async def close(self) -> None:
        """Drop the connection."""
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()


async def hostile_exchange(
    port: int,
    first: bytes,
    after_open: Sequence[bytes] = (),
    *,
    within: float = 2.0,
    half_close: bool = False,
) -> Exchange:
    """Send ``first``; if the server opens a websocket, wait for ``live``, then send each of
    ``after_open``; read what comes back until the server closes or ``within`` seconds."""
    deadline = time.monotonic() + within * TIMEOUT_FACTOR
    result = Exchange()
    connection = await RawConnection.open(port)
    try:
        await connection.send(first, eof=half_close and not after_open)
        result.status = await connection.read_status(deadline)
        if result.status == 101:
            while not any(b'"type":"live"' in p for _, p in result.frames):
                got = await connection.read_frame(deadline)
                if got is None:
                    break
                result.frames.append(got)
            for index, data in enumerate(after_open):
                await connection.send(data, eof=half_close and index == len(after_open) - 1)
        while True:
            got = await connection.read_frame(deadline)
            if got is None:
                break
            result.frames.append(got)
            if got[0] == OP_CLOSE:
                break
        result.eof = connection.eof
    finally:
        await connection.close()
    return result


@dataclass(frozen=True)
class Case:
    """One hostile connection and what the server must answer."""

    name: str
    first: Callable[[int], bytes]
    after_open: Sequence[bytes] = ()
    #: The HTTP status expected (None: any answer but 101, or none at all).
    status: int | None = None
    #: The close code expected after the handshake (None: the connection must stay open).
    close: int | None = None
    #: A message type the server must send back (the connection stays).
    answer: str | None = None
    #: Whether the handshake must succeed even with nothing sent after it.
    opens: bool = False


def _ok(port: int) -> bytes:
    return handshake(port)


def _text(data: bytes, **kwargs: Any) -> bytes:
    return frame(OP_TEXT, data, **kwargs)


PING_JSON: Final = b'{"type": "ping"}'

#: Hostile handshakes and frames, each with the answer HTTP or RFC 6455 prescribes.
STRUCTURED_CASES: Final[tuple[Case, ...]] = (
    Case("request line over 8 KiB", lambda p: handshake(p, "/ws?x=" + "a" * 9000), status=414),
    Case(
        "200 headers",
        lambda p: handshake(p, headers=[(f"X-H{i}", "v") for i in range(200)]),
        status=431,
    ),
    Case("a 9 KiB header", lambda p: handshake(p, headers=[("X-Big", "v" * 9000)]), status=431),
    Case("wrong version", lambda p: handshake(p).replace(b"Version: 13", b"Version: 8")),
    Case("no key", lambda p: re.sub(rb"Sec-WebSocket-Key: [^\r]*\r\n", b"", handshake(p))),
    Case("bad key", lambda p: re.sub(rb"Key: [^\r]*", b"Key: !!!", handshake(p))),
    Case("POST", lambda p: handshake(p).replace(b"GET ", b"POST ", 1)),
    Case("HTTP/1.0", lambda p: handshake(p).replace(b"HTTP/1.1", b"HTTP/1.0", 1), status=505),
    Case("chunked body", lambda p: handshake(p, headers=[("Transfer-Encoding", "chunked")])),
    Case("a bracket in the path", lambda p: handshake(p, "//[x/ws"), status=400),
    Case(
        "an unparseable origin",
        lambda p: handshake(p, headers=[("Origin", "http://[::1")]),
        status=403,
    ),
    Case(
        "undecodable bytes in the query",
        lambda p: handshake(p, "/ws?token=%ff%fe&since=%zz"),
        close=4400,
        opens=True,
    ),
    Case(
        "NUL and DEL in the query",
        lambda p: handshake(p, "/ws?since=\x00\x7f"),
        close=4400,
        opens=True,
    ),
    Case(
        "latin-1 bytes in a header",
        lambda p: handshake(p, headers=[("X-Name", "é\xff")]),
        opens=True,
    ),
    Case("junk before the request", lambda p: b"\x16\x03\x01\x02\x00\x01\x00" + handshake(p)),
    Case("an unmasked frame", _ok, [_text(PING_JSON, masked=False)], close=1002),
    *(Case(f"RSV bits {rsv}", _ok, [_text(PING_JSON, rsv=rsv)], close=1002) for rsv in (1, 2, 4)),
    *(
        Case(f"reserved opcode {op}", _ok, [frame(op, b"x")], close=1002)
        for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)
    ),
    Case("a 126-byte ping", _ok, [frame(OP_PING, b"p" * 126)], close=1002),
    Case("a fragmented ping", _ok, [frame(OP_PING, b"p", fin=False)], close=1002),
    Case("a 126-byte close", _ok, [frame(OP_CLOSE, close_payload(1000, b"r" * 124))], close=1002),
    Case("a continuation out of the blue", _ok, [frame(OP_CONT, b"x")], close=1002),
    Case(
        "a new message inside a fragmented one",
        _ok,
        [_text(b'{"type":', fin=False), _text(b'"ping"}')],
        close=1002,
    ),
    Case("a length of 2^63-1", _ok, [_text(b"", length=(1 << 63) - 1)], close=1009),
    Case("a length with the top bit set", _ok, [_text(b"", length=(1 << 64) - 1)], close=1009),
    Case("a 70,000-byte frame announced", _ok, [_text(b"", length=70_000)], close=1009),
    Case(
        "fragments adding up past 64 KiB",
        _ok,
        [_text(b"[" * 40_000, fin=False), frame(OP_CONT, b"[" * 40_000)],
        close=1009,
    ),
    Case("invalid UTF-8", _ok, [_text(b'{"type": "\xff\xfe"}')], close=1007),
    Case("a 1-byte close", _ok, [frame(OP_CLOSE, b"\x03")], close=1002),
    *(
        Case(f"close code {code}", _ok, [frame(OP_CLOSE, close_payload(code))], close=1002)
        for code in (0, 999, 1004, 1005, 1006, 1015, 2999, 5000)
    ),
    Case(
        "a close reason not UTF-8", _ok, [frame(OP_CLOSE, close_payload(1000, b"\xc3"))], close=1007
    ),
    Case(
        "a ping split in three fragments",
        _ok,
        [
            _text(b'{"ty', fin=False),
            frame(OP_CONT, b'pe": "pi', fin=False),
            frame(OP_CONT, b'ng"}'),
        ],
        answer="pong",
    ),
    Case(
        "a character split across fragments",
        _ok,
        [_text(b'{"type": "ping", "x": "\xc3', fin=False), frame(OP_CONT, b'\xa9"}')],
        answer="pong",
    ),
    Case("a binary frame", _ok, [frame(OP_BINARY, b"\x00\xff")], answer="error"),
    Case("JSON nested 60,000 deep", _ok, [_text(b"[" * 60_000)], answer="error"),
    Case("a huge number", _ok, [_text(b'{"type": "ping", "n": ' + b"9" * 60_000 + b"}")]),
)


def random_case(rng: random.Random, index: int) -> Case:
    """A random hostile connection: junk, a cut handshake, or random frames after a good one."""
    style = rng.choice(("junk", "cut", "frames", "frames", "bytes"))
    if style == "junk":
        junk = rng.randbytes(rng.randint(1, 2048))
        return Case(f"random {index}: junk", lambda _p: junk)
    if style == "cut":
        cut = rng.random()
        return Case(f"random {index}: cut handshake", lambda p: handshake(p)[: int(cut * 150)])
    if style == "bytes":
        return Case(f"random {index}: bytes after open", _ok, [rng.randbytes(rng.randint(1, 600))])
    frames: list[bytes] = []
    for _ in range(rng.randint(1, 4)):
        payload = rng.randbytes(rng.choice((0, 1, 5, 125, 126, 300)))
        declared = rng.choice((None, None, 0, 126, 65_535, 1 << 20, (1 << 64) - 1))
        raw = frame(
            rng.choice((0, 1, 2, 3, 8, 9, 10, 11)),
            payload,
            fin=rng.random() < 0.7,
            rsv=rng.choice((0, 0, 0, rng.randint(1, 7))),
            masked=rng.random() < 0.85,
            length=declared,
        )
        frames.append(raw[: rng.randint(1, len(raw))] if rng.random() < 0.1 else raw)
    return Case(f"random {index}: frames", _ok, frames)


@pytest.mark.slow
async def test_fuzzed_handshakes_and_frames_never_break_the_server(
    store: StreamStore, start_broadcaster: BroadcasterStarter, caplog: pytest.LogCaptureFixture
) -> None:
    """~300 hostile connections get 4xx or the RFC close code; no error logged; others served."""
    caplog.set_level(logging.WARNING)
    running = await start_broadcaster(open_timeout=3.0)
    port = running.port
    rng = random.Random(20170129)
    cases = list(STRUCTURED_CASES) + [random_case(rng, n) for n in range(260)]
    appended: list[str] = []
    async with ws_connect(running.ws_url("since=$")) as bystander:
        await recv_until(bystander, "live")
        failures: list[str] = []
        batch = 20
        for start in range(0, len(cases), batch):
            chunk = cases[start : start + batch]
            random_ones = [case.name.startswith("random") for case in chunk]
            results = await asyncio.gather(
                *(
                    hostile_exchange(
                        port,
                        case.first(port),
                        case.after_open,
                        within=1.0 if is_random else 3.0,
                        half_close=is_random,
                    )
                    for case, is_random in zip(chunk, random_ones, strict=True)
                )
            )
            for case, result in zip(chunk, results, strict=True):
                failures += check_exchange(case, result)
            outcome = await store.append(make_update(start))
            appended.append(str(outcome.id))
        assert failures == [], "\n".join(failures)
        # The client that behaved got every update, in order, while all this went on.
        got = await recv_updates(bystander, len(appended), within=10)
        assert [message["id"] for message in got] == appended
        await eventually(_count_is(running, 1), within=5)
    async with ws_connect(running.ws_url("since=0")) as newcomer:
        before, _live = await recv_until(newcomer, "live")
        assert [m["type"] for m in before[:2]] == ["hello", "snapshot"]
        assert len([m for m in before if m["type"] == "update"]) == len(appended)
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert problems == [], [f"{r.name}: {r.getMessage()}" for r in problems]


def check_exchange(case: Case, result: Exchange) -> list[str]:
    """What is wrong with the server's answer to ``case`` (nothing: an empty list)."""
    wrong: list[str] = []
    if case.name.startswith("random"):
        if result.status not in (None, 101) and not 400 <= result.status < 500:
            wrong.append(f"{case.name}: HTTP {result.status}")
        if result.close_code in (1011,):
            wrong.append(f"{case.name}: server error {result.close_code}")
        return wrong
    if not case.after_open and not case.opens:
        expected = "any 4xx or no answer" if case.status is None else case.status
        if case.status is not None:
            unexpected = result.status != case.status
        else:
            unexpected = result.status is not None and not 400 <= result.status < 500
        if unexpected:
            wrong.append(f"{case.name}: HTTP {result.status}, expected {expected}")
        return wrong
    if result.status != 101:
        return [f"{case.name}: the good handshake got HTTP {result.status}"]
    if case.close is not None and result.close_code != case.close:
        wrong.append(f"{case.name}: closed with {result.close_code}, expected {case.close}")
    if case.close is None and result.close_code is not None:
        wrong.append(f"{case.name}: closed with {result.close_code}, expected to stay open")
    if case.answer is not None and not any(
        f'"type":"{case.answer}"' in text for text in result.texts()
    ):
        wrong.append(f"{case.name}: no {case.answer} in {result.texts()[-3:]}")
    return wrong


def _count_is(running: RunningBroadcaster, count: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return running.broadcaster.client_count == count

    return check


# -- slowloris ------------------------------------------------------------------------------------


async def drip(port: int, request: bytes, *, every: float, started: float) -> float | None:
    """Send ``request`` one byte every ``every`` seconds; return when the server hung up (in
    seconds after ``started``), or None if it answered (it must not) or never hung up."""
    connection = await RawConnection.open(port)
    try:
        for byte in request:
            try:
                connection.writer.write(bytes([byte]))
                await connection.writer.drain()
            except ConnectionError:
                return time.monotonic() - started
            if await connection.read_status(time.monotonic() + every) is not None:
                return None  # the server answered a request it never fully got
            if connection.eof:
                return time.monotonic() - started
        return None
    finally:
        await connection.close()


@pytest.mark.slow
async def test_a_slowloris_is_dropped_and_never_blocks_other_clients(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """60 handshakes dripped a byte a second: cut at open_timeout; a client is served meanwhile."""
    open_timeout = 3.0 * TIMEOUT_FACTOR
    running = await start_broadcaster(open_timeout=open_timeout)
    port = running.port
    started = time.monotonic()
    slow = [
        asyncio.create_task(
            drip(port, handshake(port, "/ws" if n % 3 else "/healthz"), every=1.0, started=started)
        )
        for n in range(60)
    ]
    await asyncio.sleep(0.5)
    try:
        # Meanwhile a normal client connects at once and gets everything live.
        joined = time.monotonic()
        async with ws_connect(running.ws_url("since=$"), open_timeout=2) as client:
            await recv_until(client, "live", within=2)
            assert time.monotonic() - joined < 1.5 * TIMEOUT_FACTOR
            for n in range(3):
                outcome = await store.append(make_update(n))
                (update,) = await recv_updates(client, 1, within=1.5)
                assert update["id"] == outcome.id
            async with (
                aiohttp.ClientSession() as session,
                session.get(running.http_url("/healthz")) as response,
            ):
                assert response.status == 200
        served = time.monotonic() - started
        hung_up = await asyncio.wait_for(asyncio.gather(*slow), (open_timeout + 5) * TIMEOUT_FACTOR)
    finally:
        for task in slow:
            task.cancel()
        for task in slow:  # a dripping client's own failure, if any, rather than the wait's
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert None not in hung_up, "a dripping connection was answered or never dropped"
    dropped = [t for t in hung_up if t is not None]
    print(f"dripping connections dropped after {min(dropped):.2f}-{max(dropped):.2f} s")
    assert min(dropped) >= open_timeout - 0.1
    assert served < min(dropped), "the client was served only once the slowloris was gone"
    assert max(dropped) < open_timeout + 2.5 * TIMEOUT_FACTOR


# -- connection churn -----------------------------------------------------------------------------


def rss_bytes(pid: int) -> int:
    """The resident set size of process ``pid`` (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


async def churn(port: int, count: int, *, concurrency: int = 40) -> None:
    """Open and close ``count`` connections, ``concurrency`` at a time, in three manners."""
    url = f"ws://127.0.0.1:{port}/ws?since=$"
    slots = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with slots:
            if n % 5 < 3:  # a client that reads hello, snapshot, live, then says goodbye
                async with ws_connect(url, open_timeout=10) as ws:
                    await recv_until(ws, "live", within=10)
            elif n % 5 == 3:  # a client that leaves right after the handshake
                async with ws_connect(url, open_timeout=10):
                    pass
            else:  # a connection reset in the middle of the handshake
                connection = await RawConnection.open(port)
                await connection.send(handshake(port)[:60])
                sock = connection.writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                await connection.close()

    await asyncio.gather(*(one(n) for n in range(count)))


async def clients_now(session: aiohttp.ClientSession, port: int) -> int:
    """The ``clients`` of ``/healthz``."""
    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
        body = await response.json()
    return int(body["clients"])


@pytest.mark.slow
async def test_5000_connects_and_disconnects_leave_memory_at_its_baseline(
    redis_url: str, store: StreamStore
) -> None:
    """`soiree serve` in its own process: RSS after 5,000 connections is back near its baseline."""
    await store.append(make_update(1))
    process = await asyncio.create_subprocess_exec(
        *soiree_command("serve", "--port", "0", "--redis-url", redis_url, "--stream", store.stream),
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "SOIREE_READ_TOKEN": ""},
    )
    assert process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stderr.readline(), 20 * TIMEOUT_FACTOR)).decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        port = int(match[1])
        async with aiohttp.ClientSession() as session:

            async def settled() -> int:
                await eventually(
                    lambda: _is_zero(clients_now(session, port)), within=20 * TIMEOUT_FACTOR
                )
                await asyncio.sleep(1.0)
                return rss_bytes(process.pid)

            await churn(port, 500)  # warm up: every lazy structure and cache is made
            baseline = await settled()
            await churn(port, 5000)
            after = await settled()
        growth = after - baseline
        print(f"RSS baseline {baseline / MIB:.1f} MiB, after 5,000: {after / MIB:.1f} MiB")
        # 5,000 leaked connections of even 1 KiB each would add 5 MiB; allow allocator noise.
        assert growth < 4 * MIB, f"RSS grew by {growth / MIB:.1f} MiB"
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10 * TIMEOUT_FACTOR)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _is_zero(value: Awaitable[int]) -> bool:
    return await value == 0


# -- hostile sources -------------------------------------------------------------------------

LIVEBLOG: Final = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8"></head><body>'
    "<p><strong>21h00:</strong> Une entrée ordinaire</p></body></html>"
)
_LAUGHS: Final = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{n} "{("&lol;" if n == 1 else f"&lol{n - 1};") * 10}">' for n in range(1, 10)
)
BILLION_LAUGHS: Final = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    f"<!DOCTYPE rss [{_LAUGHS}]>\n"
    '<rss version="2.0"><channel><title>Rires &lol9;</title>'
    "<item><guid>laughs-1</guid><title>Rire &lol9;</title>"
    "<pubDate>Sun, 29 Jan 2017 21:30:00 +0100</pubDate><description>&lol9;</description></item>"
    "</channel></rss>"
)
QUADRATIC: Final = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    f'<!DOCTYPE rss [<!ENTITY a "{"a" * 50_000}">]>\n'
    '<rss version="2.0"><channel><title>t</title>'
    "<item><guid>quadratic-1</guid><title>Quadratique</title>"
    "<pubDate>Sun, 29 Jan 2017 21:31:00 +0100</pubDate>"
    f"<description>{'&a;' * 40_000}</description></item></channel></rss>"
)


def external_entities(secret_file: Path, probe_url: str) -> str:
    """A feed whose entities try to read a local file and call a URL (XXE)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<!DOCTYPE rss [<!ENTITY file SYSTEM "file://{secret_file}">'
        f'<!ENTITY remote SYSTEM "{probe_url}"><!ENTITY % dtd SYSTEM "{probe_url}"> %dtd;]>\n'
        '<rss version="2.0"><channel><title>t</title>'
        "<item><guid>xxe-1</guid><title>Fichier &file;</title>"
        "<pubDate>Sun, 29 Jan 2017 21:32:00 +0100</pubDate>"
        "<description>Distant &remote;</description></item></channel></rss>"
    )


@dataclass
class HostileSources:
    """A server of hostile sources on 127.0.0.1: ``sent[path]`` counts the body bytes written."""

    base_url: str = ""
    secret_file: Path = Path()
    hits: dict[str, int] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)


def _hostile_app(state: HostileSources) -> web.Application:
    app = web.Application()

    @web.middleware
    async def count(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        state.hits[request.path] = state.hits.get(request.path, 0) + 1
        return await handler(request)

    app.middlewares.append(count)
    chunk = b"<p>" + b"x" * (MIB - 8) + b"</p>\n\n"

    async def stream_huge(request: web.Request, *, declared: bool) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        if declared:
            response.content_length = HUGE_PAGE
        await response.prepare(request)
        state.sent[request.path] = 0
        with contextlib.suppress(ConnectionError):
            for _ in range(HUGE_PAGE // len(chunk)):
                await response.write(chunk)
                state.sent[request.path] += len(chunk)
            await response.write_eof()
        return response

    async def declared(request: web.Request) -> web.StreamResponse:
        return await stream_huge(request, declared=True)

    async def streamed(request: web.Request) -> web.StreamResponse:
        return await stream_huge(request, declared=False)

    bomb = gzip.compress(b"<p>" + b" " * HUGE_PAGE + b"</p>", compresslevel=9)

    async def gzip_bomb(_: web.Request) -> web.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        return web.Response(body=bomb, headers=headers)

    def feed(text: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def answer(_: web.Request) -> web.Response:
            return web.Response(text=text, content_type="application/rss+xml")

        return answer

    async def liveblog(_: web.Request) -> web.Response:
        return web.Response(text=LIVEBLOG, content_type="text/html")

    async def xxe(_: web.Request) -> web.Response:
        feed_text = external_entities(state.secret_file, f"{state.base_url}/xxe-probe")
        return web.Response(text=feed_text, content_type="application/rss+xml")

    async def probe(_: web.Request) -> web.Response:
        return web.Response(text="<!ENTITY leaked 'probe was read'>", content_type="text/plain")

    def redirect(location: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def answer(_: web.Request) -> web.Response:
            raise web.HTTPFound(location)

        return answer

    async def chain(request: web.Request) -> web.Response:
        step = int(request.match_info["step"])
        if step >= 8:
            return web.Response(text=LIVEBLOG, content_type="text/html")
        raise web.HTTPFound(f"/chain/{step + 1}")

    app.router.add_get("/liveblog", liveblog)
    app.router.add_get("/declared-50mb", declared)
    app.router.add_get("/streamed-50mb", streamed)
    app.router.add_get("/gzip-50mb", gzip_bomb)
    app.router.add_get("/laughs.xml", feed(BILLION_LAUGHS))
    app.router.add_get("/quadratic.xml", feed(QUADRATIC))
    app.router.add_get("/xxe.xml", xxe)
    app.router.add_get("/xxe-probe", probe)
    app.router.add_get("/to-file", redirect("file:///etc/passwd"))
    app.router.add_get("/to-secret", redirect(f"file://{state.secret_file}"))
    app.router.add_get("/to-ftp", redirect("ftp://127.0.0.1/liveblog"))
    app.router.add_get("/to-data", redirect(DATA_URL))
    app.router.add_get("/chain/{step}", chain)
    return app


@pytest_asyncio.fixture
async def hostile_sources(tmp_path: Path) -> AsyncIterator[HostileSources]:
    """The hostile sources on 127.0.0.1 (port 0), stopped after the test."""
    state = HostileSources(secret_file=tmp_path / "secret.txt")
    state.secret_file.write_text(f"secret-{os.urandom(8).hex()}\n")
    runner, state.base_url = await serve_test_app(_hostile_app(state))
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017."""
    return sources_night.night


async def ingest_hostile(
    server: HostileSources,
    paths: dict[str, tuple[str, str]],
    *,
    redis: Redis,
    night: Night,
    stream: str,
    tmp_path: Path,
) -> tuple[IngestReport, dict[str, dict[str, object]], float]:
    """Poll each hostile ``name: (type, path)`` and a good liveblog until each was polled once;
    return the report, every source's health and the peak of Python memory meanwhile."""
    quick = {"interval": 0.2, "max_backoff": 1.0}
    sources: list[dict[str, object]] = [
        {"name": "good", "type": "liveblog", "url": "/liveblog", **quick}
    ]
    sources += [
        {"name": name, "type": kind, "url": path, **quick} for name, (kind, path) in paths.items()
    ]
    config = load_ingest_config(sources_toml(tmp_path / "hostile.toml", server.base_url, sources))

    async def done() -> bool:
        health = await read_all_health(redis, stream)
        return len(health) == len(sources) and all(h.get("polls") for h in health.values())

    tracemalloc.start()
    try:
        report = await ingest_until(
            config, redis, night=night, stream=stream, done=done, within=15 * TIMEOUT_FACTOR
        )
        _size, peak = tracemalloc.get_traced_memory()
    except TimeoutError:
        states = {
            name: (h.get("polls"), h.get("last_outcome"))
            for name, h in (await read_all_health(redis, stream)).items()
        }
        pytest.fail(f"a source never finished a poll within 15 s (hung or blew up): {states}")
    finally:
        tracemalloc.stop()
    return report, await read_all_health(redis, stream), peak


@pytest.mark.slow
async def test_a_50mb_page_stops_at_the_size_cap(
    hostile_sources: HostileSources,
    night: Night,
    redis_client: Redis,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """50 MB declared, streamed or gzip-bombed: too_large at the 5 MiB cap; others go on."""
    paths = {
        "declared": ("liveblog", "/declared-50mb"),
        "streamed": ("liveblog", "/streamed-50mb"),
        "gzip-bomb": ("liveblog", "/gzip-50mb"),
    }
    _report, health, peak = await ingest_hostile(
        hostile_sources, paths, redis=redis_client, night=night, stream=stream_key,
        tmp_path=tmp_path,
    )  # fmt: skip
    for name in paths:
        record = health[name]
        assert record["state"] == "error", (name, record)
        assert record["last_outcome"] == "too_large", (name, record)
        assert record["last_error"] == f"body over the {DEFAULT_CAP} byte cap", (name, record)
        assert float(str(record["last_poll_ms"])) < 5000 * TIMEOUT_FACTOR, (name, record)
    print(
        "50 MB pages: sent before the stop (MiB):",
        {path: round(sent / MIB, 1) for path, sent in hostile_sources.sent.items()},
        f"poll ms: { {name: health[name]['last_poll_ms'] for name in paths} };",
        f"Python memory peak {peak / MIB:.1f} MiB",
    )
    # The read stopped: the server could not push the 50 MB (only what the sockets buffered).
    assert hostile_sources.sent["/declared-50mb"] < 20 * MIB, hostile_sources.sent
    assert hostile_sources.sent["/streamed-50mb"] < 20 * MIB, hostile_sources.sent
    assert peak < 40 * MIB, f"Python memory peaked at {peak / MIB:.1f} MiB"
    assert health["good"]["state"] == "ok"
    texts = [u.text for u in (await StreamStore(redis_client, stream_key).history()).updates]
    assert texts == ["Une entrée ordinaire"]


@pytest.mark.slow
async def test_entity_tricks_in_a_feed_expand_nothing_and_read_nothing(
    hostile_sources: HostileSources,
    night: Night,
    redis_client: Redis,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """Billion laughs, a quadratic blowup and external entities: fast, bounded, nothing leaks."""
    paths = {
        "laughs": ("feed", "/laughs.xml"),
        "quadratic": ("feed", "/quadratic.xml"),
        "xxe": ("feed", "/xxe.xml"),
    }
    started = time.monotonic()
    _report, health, peak = await ingest_hostile(
        hostile_sources, paths, redis=redis_client, night=night, stream=stream_key,
        tmp_path=tmp_path,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    print(
        f"entity tricks: {elapsed:.2f} s in all, Python memory peak {peak / MIB:.1f} MiB, poll ms:",
        {name: health[name]["last_poll_ms"] for name in paths},
        {name: health[name]["state"] for name in paths},
    )
    # A bound on a hang, not a speed: the memory peak below is what an expansion would show.
    assert elapsed < 60 * TIMEOUT_FACTOR
    assert peak < 40 * MIB, f"Python memory peaked at {peak / MIB:.1f} MiB"
    for name in paths:
        record = health[name]
        assert float(str(record["last_poll_ms"])) < 5000 * TIMEOUT_FACTOR, (name, record)
        # Either the poll failed with a health error, or it gave what the feed literally says.
        assert record["state"] == "error" or record["last_outcome"] == "ok", (name, record)
        if record["state"] == "error":
            assert record["last_error"], (name, record)
    assert health["good"]["state"] == "ok"
    updates = (await StreamStore(redis_client, stream_key).history()).updates
    secret = hostile_sources.secret_file.read_text().strip()
    for update in updates:
        assert "lollol" not in update.text, update.uid
        assert "aaaaaaaaaa" not in update.text, update.uid
        assert len(update.text) <= MAX_TEXT_LENGTH, update.uid
        assert secret not in update.text, update.uid
        assert "probe was read" not in update.text, update.uid
    assert hostile_sources.hits.get("/xxe-probe", 0) == 0, "an external entity was fetched"


@pytest.mark.slow
async def test_redirects_to_other_schemes_or_past_the_cap_are_refused(
    hostile_sources: HostileSources,
    night: Night,
    redis_client: Redis,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """file:, ftp:, data: redirects: bad_redirect; 8 hops with a cap of 5: too_many_redirects."""
    paths = {
        "to-file": ("liveblog", "/to-file"),
        "to-secret": ("liveblog", "/to-secret"),
        "to-ftp": ("liveblog", "/to-ftp"),
        "to-data": ("liveblog", "/to-data"),
        "chain": ("liveblog", "/chain/0"),
    }
    _report, health, _peak = await ingest_hostile(
        hostile_sources, paths, redis=redis_client, night=night, stream=stream_key,
        tmp_path=tmp_path,
    )  # fmt: skip
    targets = {
        "to-file": "file:///etc/passwd",
        "to-secret": f"file://{hostile_sources.secret_file}",
        "to-ftp": "ftp://127.0.0.1/liveblog",
        "to-data": DATA_URL,
    }
    for name, target in targets.items():
        record = health[name]
        assert (record["state"], record["last_outcome"]) == ("error", "bad_redirect"), record
        assert record["last_error"] == f"redirect to a non-http(s) URL {target!r}", record
    chain = health["chain"]
    assert (chain["state"], chain["last_outcome"]) == ("error", "too_many_redirects"), chain
    assert str(chain["last_error"]).startswith("more than 5 redirects"), chain
    # Five redirects followed, the sixth refused: /chain/6 and the page at /chain/8 never asked.
    assert "/chain/6" not in hostile_sources.hits
    assert "/chain/8" not in hostile_sources.hits
    assert health["good"]["state"] == "ok"
    texts = [u.text for u in (await StreamStore(redis_client, stream_key).history()).updates]
    assert texts == ["Une entrée ordinaire"]
