"""The broadcaster: one Redis reader fanned out in memory to every websocket client.

A thin shell that wires its parts and serves them with :func:`websockets.asyncio.server.serve`:

- :mod:`ticker.broadcast.options`: :class:`BroadcasterOptions` (``soiree serve`` options);
- :mod:`ticker.broadcast.reader`: the one Redis reader and its warm-up;
- :mod:`ticker.broadcast.delivery`: what the reader read, to every live client: the snapshot
  states and frames, boards, the embargo's releases, the desk's edits;
- :mod:`ticker.broadcast.fan_out`: the fan-out to live clients and the slow-client policy (no
  I/O); :mod:`ticker.broadcast.client`, :mod:`ticker.broadcast.ws_client`: one client on its
  socket;
- :mod:`ticker.broadcast.ws_endpoint`: ``/ws``, one client from its connection to its close;
  :mod:`ticker.broadcast.joining`: a new client's hello, snapshot, backlog and ``live``;
  :mod:`ticker.broadcast.message_budget`: how many messages a client may send;
- :mod:`ticker.broadcast.health_watch`: the sources' health and ``/healthz``;
- :mod:`ticker.broadcast.clock_watch`: a replay's clock, polled from Redis;
- :mod:`ticker.broadcast.http_routes` (plain HTTP), :mod:`ticker.broadcast.sse_hub` (``/sse``:
  the same join and fan-out, as server-sent events),
  :mod:`ticker.broadcast.metrics`; :mod:`ticker.wire.protocol` (messages) and
  :mod:`ticker.board.live_state` (snapshot and recent updates).

How it works:

- **Listening first.** :meth:`Broadcaster.start` listens at once (with a deep listen backlog,
  for the thousands of clients reconnecting after a restart), then the reader reads the
  retained stream from its start: the broadcaster is *warming up* until it reaches the id the
  stream ended at when it started.
- **One reader.** Each batch the reader reads is applied to the snapshot state, kept among the
  recent updates, then written to every live client without waiting for any (and to ``/sse``):
  :class:`~ticker.broadcast.delivery.Delivery`.
- **Slow clients** are closed with 4008 and the reason ``too slow; last_id=<last id written to
  it>``: they can resume from there.
- **Client messages** (``subscribe``, ``ping``) are answered; past the message budget the
  client is closed with 1008.
- **The embargo** (a night with a closing time): public clients get what
  :mod:`ticker.broadcast.embargo_view` lets through, with a state, board and snapshot of their
  own; staff clients (:mod:`ticker.broadcast.access`) have a fan-out of their own and get
  everything, held updates marked. Releases come from the clock (a replay's, else the wall
  clock; checked as it changes and every 0.25 s) and from editors' acts
  (:mod:`ticker.broadcast.embargo_acts`); :mod:`ticker.broadcast.delivery` applies them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

from redis.asyncio import Redis
from redis.exceptions import RedisError
from websockets.asyncio.server import Server, serve
from websockets.http11 import Request, Response

from ingest.model.desk_action import DeskAction
from ingest.runtime.aio import cancel_until_done
from ingest.store.stream_store import StreamStore
from ticker.board.live_state import RecentUpdates
from ticker.broadcast.clock_watch import ReplayClockWatch
from ticker.broadcast.delivery import Delivery
from ticker.broadcast.desk_log import DeskWatch, record
from ticker.broadcast.desk_route import DESK_PATH, DeskRoute
from ticker.broadcast.embargo_acts import EmbargoActsWatch
from ticker.broadcast.embed_page import EmbedPage
from ticker.broadcast.export_routes import ResultsExport, Route
from ticker.broadcast.fan_out import FanOut
from ticker.broadcast.health_watch import SourceHealthWatch, probe_redis
from ticker.broadcast.http_routes import HttpRoutes, response
from ticker.broadcast.metrics import CONTENT_TYPE, BroadcasterMetrics
from ticker.broadcast.options import BroadcasterOptions, soiree_version
from ticker.broadcast.reader import StreamReader
from ticker.broadcast.sse_hub import SseHub, sse_connection_class
from ticker.broadcast.ws_client import WsClient
from ticker.broadcast.ws_endpoint import WsEndpoint

__all__ = ["Broadcaster", "BroadcasterOptions", "soiree_version"]

logger = logging.getLogger(__name__)

# Connections the kernel queues before they are accepted (capped by net.core.somaxconn): every
# page reconnects at once after a restart, and asyncio's default of 100 overflowed at 500.
_LISTEN_BACKLOG: Final = 4096
# On shutdown, a client that has not answered the server's close (1001) within this long is
# cut (TCP abort): a stalled client must not hold `soiree serve` for ``close_timeout``.
_SHUTDOWN_GRACE: Final = 1.0
# Seconds the start may wait for the sources' health and the replay clock before listening.
_START_READS_TIMEOUT: Final = 2.0
#: Seconds /embed and /export/* wait for the reader to be warm before saying 503 (retry).
WARM_WAIT: Final = 10.0


async def _stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` until they end (:func:`ingest.runtime.aio.cancel_until_done`: redis-py
    can swallow a cancellation of a blocking XREAD), then log those that had failed."""
    await cancel_until_done(tasks)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())


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
        history_slots = asyncio.Semaphore(options.history_readers)
        night_round = (options.night or {}).get("round")
        # Before the metrics, which read it as they register; the delivery, made below, is
        # looked up when the health changes.
        self._health = SourceHealthWatch(
            redis,
            options.stream,
            interval=options.health_interval,
            on_change=lambda health: self._delivery.health_changed(health),  # noqa: PLW0108
        )
        self.metrics = BroadcasterMetrics(health=lambda: self._health.current)
        self._exports = ResultsExport(
            stream=options.stream,
            round=night_round if night_round in (1, 2) else None,
            allowed_origins=options.allowed_origins,
        )
        self._fan_out: FanOut[WsClient] = FanOut(max_pending_bytes=options.max_pending_bytes)
        self._staff_fan_out: FanOut[WsClient] = FanOut(max_pending_bytes=options.max_pending_bytes)
        self._recent = RecentUpdates(options.recent)
        #: States, boards, snapshots, the embargo and the desk: what the reader read, to whom.
        self._delivery = Delivery(
            options,
            fan_out=self._fan_out,
            staff_fan_out=self._staff_fan_out,
            recent=self._recent,
            exports=self._exports,
            metrics=self.metrics,
            health=lambda: self._health.current,
            clock=lambda: self._clock.current,
            clock_known=lambda: self._clock.known,
        )
        delivery = self._delivery
        self._acts = EmbargoActsWatch(
            redis, options.stream, interval=options.clock_interval, on_act=delivery.act
        )
        self._clock = ReplayClockWatch(
            redis, options.stream, interval=options.clock_interval, on_change=delivery.clock_changed
        )
        self._desk_watch = DeskWatch(
            redis, options.stream, interval=options.clock_interval, on_action=delivery.desk_action
        )
        self._reader = StreamReader(
            self._store,
            block_ms=options.block_ms,
            read_count=options.read_count,
            metrics=self.metrics,
            deliver=delivery.deliver,
            on_warm=delivery.warmed,
        )
        self._routes = HttpRoutes(
            web_dir=options.web_dir,
            access=options.access,
            on_rejected=self.metrics.rejected_tokens.labels(route="http").inc,
            allowed_origins=options.allowed_origins,
            health=self.probe,
            metrics=self._scrape_metrics,
            metrics_content_type=CONTENT_TYPE,
            own_auth_routes={
                DESK_PATH: DeskRoute(
                    access=options.access,
                    record=self._record_desk,
                    on_rejected=lambda reason: self.metrics.rejected_writes.labels(
                        reason=reason
                    ).inc(),
                )
            },
            guarded_routes={
                path: self._after_warm(route)
                for path, route in {
                    **self._exports.routes(),
                    **EmbedPage(
                        board=delivery.public_board,
                        night=options.night,
                        allowed_origins=options.allowed_origins,
                    ).routes(),
                }.items()
            },
        )
        self._sse = SseHub(
            options,
            store=self._store,
            recent=self._recent,
            reader=self._reader,
            history_slots=history_slots,
            snapshot_frame=delivery.snapshot_frame,
            board=delivery.public_board,
            clock=lambda: self._clock.current,
            on_rejected=self.metrics.rejected_tokens.labels(route="sse").inc,
            visible=delivery.public_view,
            missed=delivery.missed,
        )
        self.metrics.sse_clients.set_function(lambda: self._sse.client_count)
        self._ws = WsEndpoint(
            options,
            metrics=self.metrics,
            fan_out=self._fan_out,
            store=self._store,
            recent=self._recent,
            reader=self._reader,
            history_slots=history_slots,
            snapshot_frame=delivery.snapshot_frame,
            board=delivery.public_board,
            clock=lambda: self._clock.current,
            staff=delivery.staff_view(),
            public=delivery.public_hooks(),
        )
        delivery.connect(self._reader, self._ws, self._sse)
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._port: int | None = None

    # -- life cycle -------------------------------------------------------------------------

    async def start(
        self, host: str = "127.0.0.1", port: int = 0, *, reuse_port: bool = False
    ) -> None:
        """Serve on host:port at once, and start reading the stream (from its start).

        Returns as soon as the server listens: the retained stream is read in the background
        (see "Listening first" in the module docstring; :meth:`wait_warm`). If listening fails
        (``OSError``: the port is taken...), ``start`` may be called again, on another port.
        ``reuse_port``: listen with ``SO_REUSEPORT``, sharing the port (``serve --workers``).
        """
        if self._server is not None:
            raise RuntimeError("the broadcaster is already started")
        # The first snapshot's health and clock, read before listening, but never waited for
        # long: a Redis that hangs now leaves them to their tasks (which retry).
        with contextlib.suppress(RedisError, OSError):  # TimeoutError too
            async with asyncio.timeout(_START_READS_TIMEOUT):
                await self._health.refresh()
                await self._clock.refresh()
                await self._desk_watch.refresh()
        options = self.options
        self._server = await serve(
            self._ws.handle,
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
            reuse_port=reuse_port or None,
        )
        self._sse.start()
        self._port = int(self._server.sockets[0].getsockname()[1])
        self._tasks = [
            asyncio.create_task(self._reader.run(), name="soiree-reader"),
            asyncio.create_task(self._health.run(), name="soiree-health"),
            asyncio.create_task(self._clock.run(), name="soiree-replay-clock"),
            asyncio.create_task(self._desk_watch.run(), name="soiree-desk"),
        ]
        if self._delivery.embargoed:
            self._tasks.append(
                asyncio.create_task(self._delivery.tick_forever(), name="soiree-embargo")
            )
            self._tasks.append(asyncio.create_task(self._acts.run(), name="soiree-embargo-acts"))

    async def close(self) -> None:
        """Stop reading, close every client with 1001, and stop serving."""
        self._reader.stop()
        await _stop_tasks(self._tasks)
        self._tasks = []
        self._ws.close_all()
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
        return self._reader.warm.is_set()

    async def wait_warm(self) -> None:
        """Wait until :attr:`warm`."""
        await self._reader.warm.wait()

    @property
    def client_count(self) -> int:
        """Websocket clients connected now."""
        return self._ws.client_count

    @property
    def last_id(self) -> str | None:
        """The last stream id read."""
        return self._reader.position

    # -- the HTTP side ---------------------------------------------------------------------

    def _after_warm(self, route: Route) -> Route:
        """``route`` answered once the reader is warm: a table or a page of the board is never
        drawn from half the stream. Still warming after :data:`WARM_WAIT` seconds: 503, retry."""

        async def answer(request: Request) -> Response:
            try:
                async with asyncio.timeout(WARM_WAIT):
                    await self._reader.warm.wait()
            except TimeoutError:
                return response(
                    HTTPStatus.SERVICE_UNAVAILABLE,
                    b"warming up: the stream is still being read; retry\n",
                    "text/plain; charset=utf-8",
                    headers=[("Retry-After", "1")],
                )
            return await route(request)

        return answer

    async def _record_desk(self, fields: Mapping[str, str]) -> tuple[str, DeskAction]:
        """``POST /desk``: append the action, then apply it at once (not at the next read)."""
        entry_id, action = await record(self._redis, self.options.stream, fields)
        await self._desk_watch.refresh()
        return entry_id, action

    async def _scrape_metrics(self) -> bytes:
        """``/metrics``: the sources' health read now, as ``/healthz`` reads it, then rendered."""
        await self._health.refresh()
        return self.metrics.render()

    async def probe(self) -> tuple[bool, dict[str, Any]]:
        """What ``/healthz`` says: whether Redis answers, and the broadcaster's state."""
        body: dict[str, Any] = {"stream": self.options.stream, "clients": self._ws.client_count}
        body["sse_clients"] = self._sse.client_count
        body["pid"] = os.getpid()  # which process answered (serve --workers: one of several)
        healthy = await probe_redis(self._redis, self._store, body)
        body["read_id"] = self._reader.position
        body["reader_ok"] = self._reader.ok
        body["warm"] = self._reader.warm.is_set()
        body.setdefault("sources", self._health.current)
        # A stream that does not exist (yet) is served, empty: healthy, but said.
        body["status"] = (
            "unavailable" if not healthy else "ok" if body.get("stream_exists") else "no_stream"
        )
        return healthy, body
