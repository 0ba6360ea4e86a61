"""The broadcaster: one Redis reader fanned out in memory to every websocket client.

A thin shell over :mod:`ticker.protocol` (messages), :mod:`ticker.live_state` (snapshot and
recent updates), :mod:`ticker.http_routes` (plain HTTP) and :mod:`ticker.metrics`.

How it works:

- **One reader.** A single task does :meth:`StreamStore.read_after` in a loop, from the last
  id it read; if Redis goes away it retries with jittered exponential backoff and resumes from
  that id, so no update is lost or repeated. Each update read is encoded once
  (:class:`~ticker.protocol.EncodedUpdate`: the complete websocket frame), applied to the
  snapshot state and kept among the recent updates.
- **Fan-out without waiting.** Clients are grouped by filter. For each batch read, the bytes
  of the frames a group wants are joined once, then written to each client of the group with
  one non-blocking ``transport.write`` (as :func:`websockets.asyncio.server.broadcast` does,
  without re-framing per client: server frames are unmasked and no extension is negotiated,
  so the bytes are the same for all). Nothing in the fan-out ever awaits a client.
- **Slow clients.** Before writing, a client whose unsent bytes (its transport's write
  buffer, or its queue while it is catching up) are over ``max_pending_bytes`` is closed with
  4008 and the reason ``too slow; last_id=<last id written to it>``: it can resume from there.
  The close frame is queued without waiting and the connection is aborted after
  ``close_timeout`` if the client never answers.
- **Joining.** A new client gets ``hello``, ``snapshot``, then its backlog: from memory when
  its ``since`` falls within the recent updates (or is absent), else from Redis, page by page,
  waiting for the client to drain between pages. Meanwhile live batches queue for it (within
  the same bound); then ``live`` and the queue (minus what the backlog already had), and the
  client joins the fan-out. No update is skipped or sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import OPEN

from ingest.backoff import Backoff, backoff_delay
from ingest.health import read_all_health
from ingest.stream_store import StreamStore
from ticker.embed_page import EmbedPage
from ticker.export_routes import ResultsExport
from ticker.http_routes import WEB_DIR, HttpRoutes, request_token, token_matches
from ticker.live_state import LiveState, RecentUpdates
from ticker.metrics import CONTENT_TYPE, BroadcasterMetrics
from ticker.protocol import (
    SINCE_START,
    Close,
    ConnectRequest,
    EncodedUpdate,
    ErrorCode,
    Filter,
    Ping,
    ProtocolError,
    Subscribe,
    board_message,
    encode_text_frame,
    error_message,
    gap_message,
    health_message,
    hello_message,
    id_key,
    join_frames,
    live_message,
    parse_client_message,
    parse_connect_query,
    pong_message,
    snapshot_message,
    subscribed_message,
    too_slow_reason,
)
from ticker.sse_hub import SseHub, SseOptions, sse_connection_class

__all__ = ["Broadcaster", "BroadcasterOptions", "soiree_version"]

logger = logging.getLogger(__name__)

# Backlog bytes written in one go before waiting for the client to drain.
_BACKLOG_CHUNK: Final = 256 * 1024
# Reconnecting to Redis: 50 ms doubling up to 1 s, with jitter. One reader per process: trying
# every second costs Redis nothing, and clients get the night again within about a second of
# Redis coming back (docs/reliability.md), not after a 5 s wait.
_REDIS_BACKOFF: Final = Backoff(interval=0.05, max_backoff=1.0)
_ORIGIN: Final = (0, 0)


async def _stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait for them, insisting.

    redis-py's asyncio client can swallow a cancellation that lands at the wrong moment of a
    blocking XREAD (redis/redis-py#2028) and carry on reading: cancel again until the task
    ends (the loops also check ``_closing``, so each ends after one more read at worst).
    """
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        # asyncio.wait never raises the tasks' CancelledError, yet a cancellation of the
        # caller itself goes through.
        _done, pending = await asyncio.wait(pending, timeout=0.1)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())


def soiree_version() -> str:
    """The installed soiree version (``0+unknown`` when running from a bare checkout)."""
    try:
        return importlib.metadata.version("soiree")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True, slots=True)
class BroadcasterOptions:
    """Everything a broadcaster is configured with (``soiree serve`` options)."""

    stream: str
    night: Mapping[str, Any] | None = None
    token: str | None = None
    allowed_origins: tuple[str, ...] = ()
    #: A client with more unsent bytes than this when an update is due is closed (4008).
    max_pending_bytes: int = 1 << 20
    #: Recent updates kept in memory; a client without ``since`` gets these.
    recent: int = 1000
    read_count: int = 500
    block_ms: int = 2000
    history_page: int = 500
    #: Backlog pages read from Redis at once. Clients joining together (after a restart,
    #: thousands may) queue for these rather than exhaust the client's connection pool.
    history_readers: int = 32
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 5.0
    #: Seconds a new connection has to complete its opening handshake (a slowloris dripping
    #: its request a byte at a time is dropped after this).
    open_timeout: float = 10.0
    #: Largest message a client may send; over it the connection is closed with 1009.
    max_message_bytes: int = 64 * 1024
    #: How long a joining client may take to drain a page of its backlog.
    drain_timeout: float = 30.0
    health_interval: float = 5.0
    #: Client messages: a burst of this many, then this many per second; past it, 1008.
    message_burst: int = 20
    messages_per_second: float = 5.0
    web_dir: Path = WEB_DIR
    #: ``/sse``: the reconnection delay EventSource is told (``retry:``), and the heartbeat.
    sse_retry_ms: int = 2000
    sse_heartbeat: float = 15.0
    version: str = field(default_factory=soiree_version)

    def __post_init__(self) -> None:
        if self.max_pending_bytes < 1:
            raise ValueError("max_pending_bytes must be positive")
        if self.recent < 0 or self.read_count < 1 or self.history_page < 1:
            raise ValueError("recent must not be negative; read_count and history_page positive")
        if self.history_readers < 1:
            raise ValueError("history_readers must be positive")


class _GoneError(Exception):
    """The client went away (or was closed) while it was being served."""


class _Client:
    """One websocket client, as the fan-out sees it."""

    __slots__ = (
        "allowance",
        "board",
        "checked_at",
        "connection",
        "cursor",
        "filter",
        "gone",
        "pending",
        "pending_bytes",
        "protocol",
        "transport",
    )

    def __init__(self, connection: ServerConnection, wanted: Filter, *, burst: int) -> None:
        self.connection = connection
        self.transport = connection.transport
        self.protocol = connection.protocol
        self.filter = wanted
        #: The last stream id this client was brought up to (the 4008 reason carries it).
        self.cursor: str | None = None
        #: Live batches queued while the client catches up (None once it is live).
        self.pending: list[EncodedUpdate] | None = None
        self.pending_bytes = 0
        self.gone = False
        self.allowance = float(burst)
        self.checked_at = time.monotonic()
        #: The board this client was last sent (its snapshot's, until it goes live).
        self.board: object = None

    def writable(self) -> bool:
        return not self.gone and self.protocol.state is OPEN and not self.transport.is_closing()

    def write(self, data: bytes) -> None:
        """Queue ``data`` on the socket now, without waiting (nothing if the client is gone)."""
        if data and self.writable():
            self.transport.write(data)

    def take_message(self, *, burst: int, rate: float) -> bool:
        """Token bucket: whether the client may send one more message now."""
        now = time.monotonic()
        self.allowance = min(float(burst), self.allowance + (now - self.checked_at) * rate)
        self.checked_at = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True


class Broadcaster:
    """A websocket and HTTP server relaying one stream; see the module docstring.

    Use as ``async with Broadcaster(redis, options) as broadcaster: ...`` (started on
    127.0.0.1, port 0), or :meth:`start` then :meth:`close`. ``redis`` must decode responses
    (:func:`ingest.embedded_redis.connect`); the broadcaster does not close it.
    """

    def __init__(self, redis: Redis, options: BroadcasterOptions) -> None:
        self.options = options
        self._redis = redis
        self._store = StreamStore(redis, options.stream)
        self._history_slots = asyncio.Semaphore(options.history_readers)
        night_round = (options.night or {}).get("round")
        self._state = LiveState(round=night_round if night_round in (1, 2) else None)
        self._recent = RecentUpdates(options.recent)
        self._health: dict[str, dict[str, object]] = {}
        self.metrics = BroadcasterMetrics(health=lambda: self._health)
        self._exports = ResultsExport(
            stream=options.stream,
            round=night_round if night_round in (1, 2) else None,
            allowed_origins=options.allowed_origins,
        )
        self._routes = HttpRoutes(
            web_dir=options.web_dir,
            token=options.token,
            allowed_origins=options.allowed_origins,
            health=self.probe,
            metrics=self.metrics.render,
            metrics_content_type=CONTENT_TYPE,
            guarded_routes={
                **self._exports.routes(),
                **EmbedPage(
                    board=lambda: self._state.board,
                    night=options.night,
                    allowed_origins=options.allowed_origins,
                ).routes(),
            },
        )
        self._groups: dict[Filter, set[_Client]] = {}
        self._sse = SseHub(
            SseOptions(
                stream=options.stream,
                version=options.version,
                night=options.night,
                token=options.token,
                allowed_origins=options.allowed_origins,
                max_pending_bytes=options.max_pending_bytes,
                recent=options.recent,
                history_page=options.history_page,
                drain_timeout=options.drain_timeout,
                close_timeout=options.close_timeout,
                retry_ms=options.sse_retry_ms,
                heartbeat=options.sse_heartbeat,
            ),
            store=self._store,
            recent=self._recent,
            history_slots=self._history_slots,
            position=lambda: self._position,
            snapshot_frame=self._snapshot_frame,
            hello_text=lambda wanted: hello_message(
                version=options.version,
                stream=options.stream,
                night=options.night,
                since=wanted.since,
                filter=wanted.filter,
            ),
            board=lambda: self._state.board,
        )
        self.metrics.sse_clients.set_function(lambda: self._sse.client_count)
        self._catching_up: set[_Client] = set()
        self._clients: set[_Client] = set()
        self._position: str | None = None
        self._position_key = _ORIGIN
        self._redis_ok = True
        self._snapshot: bytes | None = None
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._port: int | None = None
        self._loaded = False

    # -- life cycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Read what the stream holds, then start reading it live and serving on host:port.

        If listening fails (``OSError``: the port is taken...), ``start`` may be called again,
        on another port.
        """
        if self._server is not None:
            raise RuntimeError("the broadcaster is already started")
        if not self._loaded:
            await self._load()
            self._state.board_change()  # the board every snapshot carries from now on
            self._loaded = True
            await self._refresh_health()
        options = self.options
        self._server = await serve(
            self._handle,
            host,
            port,
            process_request=self._routes.process_request,
            compression=None,  # the same frame bytes for every client
            max_size=options.max_message_bytes,
            ping_interval=options.ping_interval,
            ping_timeout=options.ping_timeout,
            close_timeout=options.close_timeout,
            # The opening handshake keeps its timeout, but /sse streams outside it.
            open_timeout=None,
            create_connection=sse_connection_class(self._sse.serve, options.open_timeout),
            server_header=f"soiree/{options.version}",
        )
        self._sse.start()
        self._port = int(self._server.sockets[0].getsockname()[1])
        self._tasks = [
            asyncio.create_task(self._read_forever(), name="soiree-reader"),
            asyncio.create_task(self._refresh_health_forever(), name="soiree-health"),
        ]

    async def close(self) -> None:
        """Stop reading, close every client with 1001, and stop serving."""
        self._closing = True
        await _stop_tasks(self._tasks)
        self._tasks = []
        for client in list(self._clients):
            self._close_client(client, Close.GOING_AWAY, "server shutting down")
        await self._sse.close()
        server = self._server
        if server is None:
            return
        server.close()
        try:
            async with asyncio.timeout(self.options.close_timeout + 1.0):
                await server.wait_closed()
        except TimeoutError:
            for connection in list(server.connections):
                connection.transport.abort()
            await server.wait_closed()

    async def __aenter__(self) -> Broadcaster:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def serve_forever(self) -> None:
        """Serve until cancelled."""
        if self._server is None:
            raise RuntimeError("start() the broadcaster first")
        await self._server.serve_forever()

    @property
    def port(self) -> int:
        """The TCP port served (useful after starting on port 0)."""
        if self._port is None:
            raise RuntimeError("the broadcaster is not started")
        return self._port

    @property
    def client_count(self) -> int:
        """Websocket clients connected now."""
        return len(self._clients)

    @property
    def last_id(self) -> str | None:
        """The last stream id read."""
        return self._position

    # -- the reader -------------------------------------------------------------------------

    async def _load(self) -> None:
        """Read the retained stream once: the snapshot state, the recent updates, the position."""
        cursor: str | None = None
        while True:
            history = await self._store.history(since=cursor, count=self.options.history_page)
            for update in history.updates:
                self._take_one(EncodedUpdate.of(update))
            if history.last_id is None or history.last_id == cursor:
                break
            cursor = history.last_id
        self._move_to(cursor)

    def _move_to(self, position: str | None) -> None:
        if position != self._position:
            self._snapshot = None  # it carries the position as last_id
        self._position = position
        self._position_key = _ORIGIN if position is None else id_key(position)

    def _take_one(self, entry: EncodedUpdate) -> None:
        if self._state.apply(entry.update):
            self._snapshot = None
        self._recent.add(entry)
        self._exports.apply(entry.update)

    async def _read_forever(self) -> None:
        """The one Redis reader: read after the last id, publish, again; retry when Redis fails."""
        failures = 0
        options = self.options
        while not self._closing:
            try:
                batch = await self._store.read_after(
                    self._position or SINCE_START,
                    block_ms=options.block_ms,
                    count=options.read_count,
                )
            except (RedisError, OSError) as error:
                failures += 1
                self._redis_ok = False
                self.metrics.redis_up.set(0)
                self.metrics.redis_read_errors.inc()
                delay = backoff_delay(failures, _REDIS_BACKOFF)
                log = logger.warning if failures == 1 else logger.debug
                log("reading %s failed (%s); retrying in %.2f s", options.stream, error, delay)
                await asyncio.sleep(delay)
                continue
            if failures:
                logger.warning("reading %s again after %d failures", options.stream, failures)
                failures = 0
            self._redis_ok = True
            self.metrics.redis_up.set(1)
            entries = [EncodedUpdate.of(update) for update in batch]
            for entry in entries:
                self._take_one(entry)
            self._move_to(batch.last_id)
            if entries:
                self._observe(entries)
                self._publish(entries)
                self._sse.publish(entries)
                board = self._state.board_change()
                if board is not None:
                    self._broadcast_text(board_message(board))

    def _observe(self, entries: list[EncodedUpdate]) -> None:
        now = time.time()
        metrics = self.metrics
        metrics.updates_read.inc(len(entries))
        # The oldest entry of the batch waited longest; the id's time is the append's.
        metrics.read_lag.observe(max(0.0, now - entries[0].key[0] / 1000))
        metrics.last_id_time.set(entries[-1].key[0] / 1000)

    def _publish(self, entries: list[EncodedUpdate]) -> None:
        """Write a batch to every live client; queue it for joining ones. Never waits."""
        last_id = entries[-1].id
        limit = self.options.max_pending_bytes
        slow: list[_Client] = []
        sent = 0
        for wanted, clients in self._groups.items():
            data, count = join_frames(entries, wanted)
            for client in clients:
                transport = client.transport
                if client.gone or transport.is_closing() or client.protocol.state is not OPEN:
                    continue
                if transport.get_write_buffer_size() > limit:
                    slow.append(client)
                    continue
                if count:
                    transport.write(data)
                    sent += count
                client.cursor = last_id
        size = sum(len(entry.frame) for entry in entries)
        for client in self._catching_up:
            if client.pending is None:
                continue
            client.pending.extend(entries)
            client.pending_bytes += size
            # Its socket holds backlog pages, drained under their own timeout: count the queue.
            if client.pending_bytes > limit:
                slow.append(client)
        if sent:
            self.metrics.updates_sent.inc(sent)
        for client in slow:
            self._close_slow(client)

    def _broadcast_text(self, text: str) -> None:
        """Write one message to every live client (health changes)."""
        frame = encode_text_frame(text)
        for clients in self._groups.values():
            for client in clients:
                client.write(frame)
        self._sse.broadcast_frame(frame)

    # -- source health ----------------------------------------------------------------------

    async def _refresh_health(self) -> None:
        try:
            health = await read_all_health(self._redis, self.options.stream)
        except (RedisError, OSError) as error:
            logger.debug("reading source health failed: %s", error)
            return
        if health != self._health:
            self._health = health
            self._snapshot = None
            self._broadcast_text(health_message(health))

    async def _refresh_health_forever(self) -> None:
        while not self._closing:
            await asyncio.sleep(self.options.health_interval)
            await self._refresh_health()

    async def probe(self) -> tuple[bool, dict[str, Any]]:
        """What ``/healthz`` says: whether Redis answers, and the broadcaster's state."""
        body: dict[str, Any] = {"stream": self.options.stream, "clients": len(self._clients)}
        body["sse_clients"] = self._sse.client_count
        redis_state: dict[str, Any] = {"reachable": False}
        try:
            async with asyncio.timeout(2.0):
                await self._redis.ping()
                body["last_id"] = await self._store.last_id()
                body["sources"] = await read_all_health(self._redis, self.options.stream)
            redis_state["reachable"] = True
        except (RedisError, OSError, TimeoutError) as error:
            redis_state["error"] = str(error) or type(error).__name__
        body["redis"] = redis_state
        body["read_id"] = self._position
        body["reader_ok"] = self._redis_ok
        body.setdefault("sources", self._health)
        healthy = bool(redis_state["reachable"])
        body["status"] = "ok" if healthy else "unavailable"
        return healthy, body

    # -- one client -------------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        """The websocket handler: check, join, then answer the client's messages."""
        request = connection.request
        assert request is not None  # the handshake is done
        if not token_matches(request_token(request), self.options.token):
            self._count_error(ErrorCode.UNAUTHORIZED)
            await connection.close(Close.UNAUTHORIZED, "unauthorized")
            return
        try:
            wanted = parse_connect_query(urlsplit(request.path).query)
        except ProtocolError as error:
            self._count_error(error.code)
            connection.transport.write(encode_text_frame(error_message(error.code, error.message)))
            await connection.close(Close.BAD_REQUEST, error.code.value)
            return
        client = _Client(connection, wanted.filter, burst=self.options.message_burst)
        self._clients.add(client)
        self.metrics.connections.inc()
        self.metrics.clients.set(len(self._clients))
        try:
            await self._join(client, wanted)
            await self._answer_messages(client)
        except (_GoneError, ConnectionClosed):
            pass
        except (RedisError, OSError) as error:
            # Redis failed while the backlog was read: the client should come back later.
            logger.warning("cannot serve a joining client: %s", error)
            self._close_client(client, Close.TRY_AGAIN_LATER, "redis unavailable; retry")
            with contextlib.suppress(ConnectionClosed):
                await connection.wait_closed()
        finally:
            self._detach(client)
            client.gone = True
            self._clients.discard(client)
            self.metrics.clients.set(len(self._clients))

    def _snapshot_frame(self) -> bytes:
        if self._snapshot is None:
            self._snapshot = encode_text_frame(
                snapshot_message(
                    count=self._state.count,
                    turnout=self._state.turnout,
                    health=self._health,
                    last_id=self._position,
                    board=self._state.board,
                )
            )
        return self._snapshot

    async def _join(self, client: _Client, wanted: ConnectRequest) -> None:
        """Send hello, snapshot and the backlog, then make the client live."""
        options = self.options
        since = wanted.since
        hello = hello_message(
            version=options.version,
            stream=options.stream,
            night=options.night,
            since=since,
            filter=client.filter,
        )
        # Everything below up to the first await runs without yielding: the backlog taken from
        # memory and the reader's position belong together.
        client.write(encode_text_frame(hello) + self._snapshot_frame())
        client.board = self._state.board
        position, position_key = self._position, self._position_key
        backlog = self._recent.backlog(since, position_key, newest=options.recent)
        if backlog is not None:
            data, _count = join_frames(backlog, client.filter)
            if len(data) <= min(_BACKLOG_CHUNK, options.max_pending_bytes // 2):
                client.write(data)
                self._go_live(client, position, position_key)
                return
        client.pending = []
        client.pending_bytes = 0
        self._catching_up.add(client)
        if backlog is not None:
            await self._send_backlog(client, backlog)
            self._go_live(client, position, position_key)
        else:
            assert since is not None
            end = await self._send_history(client, since)
            self._go_live(client, end, _ORIGIN if end is None else id_key(end))

    async def _send_backlog(self, client: _Client, backlog: list[EncodedUpdate]) -> None:
        """Write a backlog in chunks, letting the client drain between them."""
        chunk: list[bytes] = []
        size = 0
        for entry in backlog:
            if not client.filter.accepts(entry.kind, entry.source):
                continue
            chunk.append(entry.frame)
            size += len(entry.frame)
            if size >= _BACKLOG_CHUNK:
                await self._write_and_drain(client, b"".join(chunk))
                chunk, size = [], 0
        if chunk:
            await self._write_and_drain(client, b"".join(chunk))

    async def _send_history(self, client: _Client, since: str) -> str | None:
        """Write the retained updates after ``since`` from Redis; return the last id covered."""
        cursor: str | None = None if since == SINCE_START else since
        first = True
        while True:
            async with self._history_slots:
                history = await self._store.history(since=cursor, count=self.options.history_page)
            if first:
                first = False
                if history.gap:
                    client.write(
                        encode_text_frame(
                            gap_message(
                                since=since,
                                first_id=history.first_retained_id,
                                last_trimmed_id=history.last_trimmed_id,
                            )
                        )
                    )
                if not history.updates and cursor is not None:
                    await self._check_known(client, cursor)
            entries = [EncodedUpdate.of(update) for update in history.updates]
            data, _count = join_frames(entries, client.filter)
            if data:
                await self._write_and_drain(client, data)
            if history.last_id is None or history.last_id == cursor:
                return cursor
            cursor = history.last_id

    async def _check_known(self, client: _Client, since: str) -> None:
        """Refuse a ``since`` past the stream's last id (the stream was reset, or is another)."""
        last = await self._store.last_id()
        if last is None or id_key(since) > id_key(last):
            message = (
                f"since {since} is after the last update of the stream ({last or 'none'}):"
                " the stream was reset or is another one; reconnect without since"
            )
            self._count_error(ErrorCode.UNKNOWN_SINCE)
            client.write(encode_text_frame(error_message(ErrorCode.UNKNOWN_SINCE, message)))
            self._close_client(client, Close.BAD_REQUEST, ErrorCode.UNKNOWN_SINCE.value)
            raise _GoneError

    async def _write_and_drain(self, client: _Client, data: bytes) -> None:
        if not client.writable():
            raise _GoneError
        client.transport.write(data)
        try:
            async with asyncio.timeout(self.options.drain_timeout):
                await client.connection.drain()
        except TimeoutError:
            self._close_slow(client)
            raise _GoneError from None
        if not client.writable():
            raise _GoneError

    def _go_live(self, client: _Client, end: str | None, end_key: tuple[int, int]) -> None:
        """Send ``live`` and what queued after ``end``, then join the fan-out. Never waits."""
        if not client.writable():
            raise _GoneError
        self._catching_up.discard(client)
        queued = [entry for entry in client.pending or () if entry.key > end_key]
        client.pending = None
        client.pending_bytes = 0
        data, _count = join_frames(queued, client.filter)
        if self._state.board is not client.board:
            # The board changed while it caught up (those board messages went to live clients).
            data += encode_text_frame(board_message(self._state.board))
        client.write(encode_text_frame(live_message(end)) + data)
        client.cursor = queued[-1].id if queued else end
        self._groups.setdefault(client.filter, set()).add(client)

    async def _answer_messages(self, client: _Client) -> None:
        """Answer what the client sends until it goes: subscribe, ping, or an error."""
        options = self.options
        async for raw in client.connection:
            if not client.take_message(
                burst=options.message_burst, rate=options.messages_per_second
            ):
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
                self._refilter(client, message.filter)
                client.write(encode_text_frame(subscribed_message(message.filter)))
            elif isinstance(message, Ping):
                client.write(encode_text_frame(pong_message()))

    def _refilter(self, client: _Client, wanted: Filter) -> None:
        group = self._groups.get(client.filter)
        if group is not None and client in group:
            group.discard(client)
            if not group:
                del self._groups[client.filter]
            self._groups.setdefault(wanted, set()).add(client)
        client.filter = wanted

    def _count_error(self, code: ErrorCode) -> None:
        self.metrics.client_errors.labels(code=code.value).inc()

    # -- closing clients --------------------------------------------------------------------

    def _detach(self, client: _Client) -> None:
        """Take the client out of the fan-out and of the joining queue."""
        self._catching_up.discard(client)
        client.pending = None
        group = self._groups.get(client.filter)
        if group is not None:
            group.discard(client)
            if not group:
                del self._groups[client.filter]

    def _close_slow(self, client: _Client) -> None:
        if client.gone:
            return
        self.metrics.slow_clients_closed.inc()
        logger.info("closing slow client %s at %s", client.connection.remote_address, client.cursor)
        self._close_client(client, Close.TOO_SLOW, too_slow_reason(client.cursor))

    def _close_client(self, client: _Client, code: int, reason: str) -> None:
        """Queue a close frame without waiting; abort the connection if it lingers."""
        client.gone = True
        self._detach(client)
        connection = client.connection
        if client.protocol.state is OPEN and not client.transport.is_closing():
            client.protocol.send_close(code, reason)
            connection.send_data()
        loop = asyncio.get_running_loop()
        loop.call_later(self.options.close_timeout, connection.transport.abort)
