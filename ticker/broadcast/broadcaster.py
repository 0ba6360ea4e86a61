"""The broadcaster: one Redis reader fanned out in memory to every websocket client.

A thin shell over :mod:`ticker.wire.protocol` (messages), :mod:`ticker.board.live_state` (snapshot
and recent updates), :mod:`ticker.broadcast.http_routes` (plain HTTP) and
:mod:`ticker.broadcast.metrics`.

How it works:

- **Listening first.** :meth:`Broadcaster.start` listens at once (with a deep listen backlog,
  for the thousands of clients reconnecting after a restart), then the reader reads the
  retained stream from its start: the broadcaster is *warming up* until it reaches the id the
  stream ended at when it started. Meanwhile a client with ``since`` is served its backlog from
  Redis and gets ``live`` once the reader has caught up with it; a client without ``since``
  (whose backlog is the recent updates and whose scoreboard is the snapshot: both need the
  whole stream read) waits for its ``hello`` until then.
- **One reader.** A single task does :meth:`StreamStore.read_after` in a loop, from the last
  id it read; if Redis goes away it retries with jittered exponential backoff and resumes from
  that id, so no update is lost or repeated. Each update read is encoded once
  (:class:`~ticker.wire.protocol.EncodedUpdate`: the complete websocket frame), applied to the
  snapshot state and kept among the recent updates.
- **Fan-out without waiting.** Clients are grouped by filter. For each batch read, the bytes
  of the frames a group wants are joined once, then written to each client of the group with
  one non-blocking ``transport.write`` (as :func:`websockets.asyncio.server.broadcast` does,
  without re-framing per client: server frames are unmasked and no extension is negotiated,
  so the bytes are the same for all). Nothing in the fan-out ever awaits a client.
- **Slow clients.** Before writing, a live client whose unsent bytes (its transport's write
  buffer) are over ``max_pending_bytes`` is closed with 4008 and the reason
  ``too slow; last_id=<last id written to it>``: it can resume from there. A joining client
  that does not drain a page of its backlog within ``drain_timeout`` is closed the same way,
  with the last id of what was written to it. The close frame is queued without waiting and
  the connection is aborted after ``close_timeout`` if the client never answers.
- **Joining.** A new client gets ``hello``, ``snapshot``, then its backlog: from memory when
  its ``since`` falls within the recent updates (or is absent), else from Redis, page by page,
  waiting for the client to drain between pages. Nothing is queued for it meanwhile: it chases
  the reader (from memory once the recent updates cover where it is, else from Redis) until it
  has everything the reader read, then gets ``live`` and joins the fan-out at that very point.
  A client that drains faster than the stream grows always gets there, however long its
  backlog; no update is skipped or sent twice.
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
from redis.exceptions import RedisError, ResponseError
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.protocol import OPEN

from ingest.runtime.aio import cancel_until_done
from ingest.runtime.backoff import Backoff, backoff_delay
from ingest.store.health import read_all_health
from ingest.store.redis_errors import describe_refusal
from ingest.store.stream_store import StreamStore
from ticker.board.live_state import LiveState, RecentUpdates
from ticker.broadcast.embed_page import EmbedPage
from ticker.broadcast.export_routes import ResultsExport
from ticker.broadcast.http_routes import WEB_DIR, HttpRoutes, request_token, token_matches
from ticker.broadcast.metrics import CONTENT_TYPE, BroadcasterMetrics
from ticker.broadcast.sse_hub import SseHub, SseOptions, sse_connection_class
from ticker.wire.protocol import (
    SINCE_NOW,
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

__all__ = ["Broadcaster", "BroadcasterOptions", "soiree_version"]

logger = logging.getLogger(__name__)

# Connections the kernel queues before they are accepted (capped by net.core.somaxconn): every
# page reconnects at once after a restart, and asyncio's default of 100 overflowed at 500.
_LISTEN_BACKLOG: Final = 4096
# Backlog bytes written in one go before waiting for the client to drain.
_BACKLOG_CHUNK: Final = 256 * 1024
# Reconnecting to Redis: 50 ms doubling up to 1 s, with jitter. One reader per process: trying
# every second costs Redis nothing, and clients get the night again within about a second of
# Redis coming back (docs/reliability.md), not after a 5 s wait.
_REDIS_BACKOFF: Final = Backoff(interval=0.05, max_backoff=1.0)
_ORIGIN: Final = (0, 0)
# Seconds a joining client's read from Redis may take: a hung Redis gets it 1013 (retry), not
# a wait as long as the client's socket timeout and retries.
_JOIN_READ_TIMEOUT: Final = 5.0
# On shutdown, a client that has not answered the server's close (1001) within this long is
# cut (TCP abort): a stalled client must not hold `soiree serve` for ``close_timeout``.
_SHUTDOWN_GRACE: Final = 1.0


async def _stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` until they end (:func:`ingest.runtime.aio.cancel_until_done`: redis-py
    can swallow a cancellation of a blocking XREAD), then log those that had failed."""
    await cancel_until_done(tasks)
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
        "protocol",
        "transport",
    )

    def __init__(self, connection: ServerConnection, wanted: Filter, *, burst: int) -> None:
        self.connection = connection
        self.transport = connection.transport
        self.protocol = connection.protocol
        self.filter = wanted
        #: The last stream id written to this client, whatever its filter (the 4008 reason
        #: carries it: every update up to it was written before the close frame).
        self.cursor: str | None = None
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
    (:func:`ingest.store.redis_client.connect`); the broadcaster does not close it.
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
            metrics=self._scrape_metrics,
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
        #: Set (and replaced) each time the reader moves on: joining clients wait on it.
        self._moved = asyncio.Event()
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
        #: Set once the reader has read what the stream held when the broadcaster started.
        self._warm = asyncio.Event()

    # -- life cycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port at once, and start reading the stream (from its start).

        Returns as soon as the server listens: the retained stream is read in the background
        (see "Listening first" in the module docstring; :meth:`wait_warm`). If listening fails
        (``OSError``: the port is taken...), ``start`` may be called again, on another port.
        """
        if self._server is not None:
            raise RuntimeError("the broadcaster is already started")
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
            backlog=_LISTEN_BACKLOG,
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
            async with asyncio.timeout(min(self.options.close_timeout, _SHUTDOWN_GRACE)):
                await server.wait_closed()
        except TimeoutError:
            # Every connection, also those closing (``server.connections`` holds open ones only).
            for connection in list(server.all_connections):
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
    def warm(self) -> bool:
        """Whether the reader has read what the stream held when the broadcaster started."""
        return self._warm.is_set()

    async def wait_warm(self) -> None:
        """Wait until :attr:`warm`."""
        await self._warm.wait()

    @property
    def client_count(self) -> int:
        """Websocket clients connected now."""
        return len(self._clients)

    @property
    def last_id(self) -> str | None:
        """The last stream id read."""
        return self._position

    # -- the reader -------------------------------------------------------------------------

    def _move_to(self, position: str | None) -> None:
        if position != self._position:
            self._snapshot = None  # it carries the position as last_id
        self._position = position
        self._position_key = _ORIGIN if position is None else id_key(position)
        if position is not None:
            self._moved.set()
            self._moved = asyncio.Event()

    def _take_one(self, entry: EncodedUpdate) -> None:
        if self._state.apply(entry.update):
            self._snapshot = None
        self._recent.add(entry)
        self._exports.apply(entry.update)

    async def _read_forever(self) -> None:
        """The one Redis reader: read after the last id, publish, again; retry when Redis fails.

        It starts from the stream's start, and is warm once past the id the stream ended at
        then (what the memory window and the snapshot need is read).
        """
        failures = 0
        options = self.options
        warm_at: tuple[int, int] | None = None
        while not self._closing:
            try:
                if warm_at is None and not self._warm.is_set():
                    end = await self._store.last_id()
                    warm_at = _ORIGIN if end is None else id_key(end)
                    warm_at = self._warm_if_past(warm_at)
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
            if batch.last_id != SINCE_START:  # what an empty read of an empty stream says
                self._move_to(batch.last_id)
            if entries:
                if self._warm.is_set():  # the start's reading is no lag
                    self._observe(entries)
                self._publish(entries)
                self._sse.publish(entries)
                if self._warm.is_set():
                    # While warming up nobody is live; the board is taken once warm.
                    board = self._state.board_change()
                    if board is not None:
                        self._broadcast_text(board_message(board))
            if warm_at is not None:
                warm_at = self._warm_if_past(warm_at)

    def _warm_if_past(self, warm_at: tuple[int, int]) -> tuple[int, int] | None:
        """Become warm if the reader is at or past ``warm_at``; return what is still awaited."""
        if self._position_key < warm_at:
            return warm_at
        self._state.board_change()  # the board every snapshot carries from now on
        self._warm.set()
        logger.info("read %s up to %s: warm", self.options.stream, self._position)
        return None

    def _observe(self, entries: list[EncodedUpdate]) -> None:
        now = time.time()
        metrics = self.metrics
        metrics.updates_read.inc(len(entries))
        # The oldest entry of the batch waited longest; the id's time is the append's.
        metrics.read_lag.observe(max(0.0, now - entries[0].key[0] / 1000))
        metrics.last_id_time.set(entries[-1].key[0] / 1000)

    def _publish(self, entries: list[EncodedUpdate]) -> None:
        """Write a batch to every live client (joining ones chase it). Never waits."""
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

    async def _scrape_metrics(self) -> bytes:
        """``/metrics``: the sources' health read now, as ``/healthz`` reads it, then rendered."""
        await self._refresh_health()
        return self.metrics.render()

    async def probe(self) -> tuple[bool, dict[str, Any]]:
        """What ``/healthz`` says: whether Redis answers, and the broadcaster's state."""
        body: dict[str, Any] = {"stream": self.options.stream, "clients": len(self._clients)}
        body["sse_clients"] = self._sse.client_count
        redis_state: dict[str, Any] = {"reachable": False}
        try:
            async with asyncio.timeout(2.0):
                try:
                    await self._redis.ping()
                except ResponseError as error:  # MISCONF (a full disk): reads still work
                    if (refusal := describe_refusal(error)) is None:
                        raise
                    redis_state["writes"] = refusal
                body["last_id"] = await self._store.last_id()
                body["stream_exists"] = bool(await self._redis.exists(self.options.stream))
                body["sources"] = await read_all_health(self._redis, self.options.stream)
            redis_state["reachable"] = True
        except (RedisError, OSError, TimeoutError) as error:
            redis_state["error"] = str(error) or type(error).__name__
        body["redis"] = redis_state
        body["read_id"] = self._position
        body["reader_ok"] = self._redis_ok
        body["warm"] = self._warm.is_set()
        body.setdefault("sources", self._health)
        healthy = bool(redis_state["reachable"])
        # A stream that does not exist (yet) is served, empty: healthy, but said.
        body["status"] = (
            "unavailable" if not healthy else "ok" if body.get("stream_exists") else "no_stream"
        )
        return healthy, body

    # -- one client -------------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        """The websocket handler: check, join, then answer the client's messages."""
        request = connection.request
        assert request is not None  # the handshake is done
        if not token_matches(request_token(request), self.options.token):
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
            logger.warning("cannot serve a joining client: %s", error or "Redis did not answer")
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
        if since is None:
            # Its backlog is the recent updates, its scoreboard the snapshot: the whole stream
            # must have been read (only while warming up, after a start).
            await self._wait(client, self._warm)
        # While warming up, "now" is the stream's end, which the reader has not reached yet:
        # taken before hello, so that whatever is appended once the client has hello reaches it.
        now_from_redis = since == SINCE_NOW and not self._warm.is_set()
        now_id = await self._store.last_id() if now_from_redis else None
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
        if now_from_redis:
            await self._catch_up(client, now_id, since)
            return
        backlog = self._recent.backlog(since, position_key, newest=options.recent)
        if backlog is not None:
            data, _count = join_frames(backlog, client.filter)
            if len(data) <= min(_BACKLOG_CHUNK, options.max_pending_bytes // 2):
                client.write(data)
                self._go_live(client, position, since)
                return
            await self._send_backlog(client, backlog)
            covered = position
        else:
            assert since is not None
            covered = await self._send_history(client, since)
        await self._catch_up(client, covered, since)

    async def _catch_up(self, client: _Client, covered: str | None, since: str | None) -> None:
        """Bring the client from ``covered`` up to the reader, then make it live.

        Nothing is queued for a joining client: what the reader read meanwhile is sent like the
        backlog, from memory when the recent updates hold everything after ``covered``, else
        from Redis. ``live`` goes out when the client has exactly what the reader read, with no
        await between that check and joining the fan-out.
        """
        while True:
            covered_key = _ORIGIN if covered is None else id_key(covered)
            if covered_key == self._position_key:
                self._go_live(client, covered, since)
                return
            if covered_key > self._position_key:
                # Redis gave the client more than the reader has read yet: wait for the reader.
                await self._wait(client, self._moved)
            elif self._recent.covers(covered_key):
                position = self._position
                await self._send_backlog(client, self._recent.after(covered_key))
                covered = position
            else:
                covered = await self._send_history(client, covered or SINCE_START)

    @staticmethod
    async def _wait(client: _Client, event: asyncio.Event) -> None:
        """Wait for ``event``, a second at a time, so that a client gone meanwhile is noticed."""
        while not event.is_set():
            if not client.writable():
                raise _GoneError
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await event.wait()

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
                client.cursor = entry.id
                await self._write_and_drain(client, b"".join(chunk))
                chunk, size = [], 0
        if backlog:
            # Entries the filter skipped after the last chunk are covered too.
            client.cursor = backlog[-1].id
        if chunk:
            await self._write_and_drain(client, b"".join(chunk))

    async def _send_history(self, client: _Client, since: str) -> str | None:
        """Write the retained updates after ``since`` from Redis; return the last id covered."""
        cursor: str | None = None if since == SINCE_START else since
        first = True
        while True:
            async with self._history_slots, asyncio.timeout(_JOIN_READ_TIMEOUT):
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
            if history.last_id is None or history.last_id == cursor:
                return cursor
            entries = [EncodedUpdate.of(update) for update in history.updates]
            data, _count = join_frames(entries, client.filter)
            client.cursor = history.last_id
            if data:
                await self._write_and_drain(client, data)
            cursor = history.last_id

    async def _check_known(self, client: _Client, since: str) -> None:
        """Refuse a ``since`` past the stream's last id (the stream was reset, or is another)."""
        async with asyncio.timeout(_JOIN_READ_TIMEOUT):
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

    def _go_live(self, client: _Client, end: str | None, since: str | None) -> None:
        """Send ``live`` (the client has every update up to ``end``), join the fan-out."""
        if not client.writable():
            raise _GoneError
        # Caught up to nothing on an empty stream: "0-0" when a since was asked (resuming from
        # it gets everything), null only without one (docs/protocol.md, "live").
        shown = SINCE_START if end is None and since is not None else end
        data = encode_text_frame(live_message(shown))
        if self._state.board is not client.board:
            # The board changed while it caught up (those board messages went to live clients).
            data += encode_text_frame(board_message(self._state.board))
        client.write(data)
        client.cursor = end
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
        """Take the client out of the fan-out."""
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
