"""Pytest fixtures and helpers for the broadcaster: real servers on 127.0.0.1, real clients.

Register with ``pytest_plugins = ["tests.plugins.broadcaster"]`` (or
``-p tests.plugins.broadcaster``); it needs the ``redis_url`` and ``stream_key`` fixtures of
``tests/conftest.py``.

``start_broadcaster`` (function)
    An async factory: ``running = await start_broadcaster(recent=10, max_pending_bytes=...)``
    starts a :class:`~ticker.broadcast.broadcaster.Broadcaster` on the test's stream (or
    ``stream=``), 127.0.0.1, port 0 (or ``port=``, to restart one on the port a page knows), with a
    Redis client of its own (on the session's server, or ``redis_url=``), as a separate process
    would have. Keyword arguments are
    :class:`~ticker.broadcast.broadcaster.BroadcasterOptions` fields. Every broadcaster started is
    closed when the test ends; ``await running.stop()`` closes one earlier.
``make_update(n, kind=..., text=..., source=..., figures=...)``
    A valid update numbered ``n`` (uid ``test:<n>``), at 20:00 + n minutes on the night.
``recv_json(ws)``, ``recv_until(ws, type)``, ``recv_updates(ws, count)``
    Read messages from a websocket client, with a timeout (never hang a test), scaled by
    ``SOIREE_TEST_TIMEOUT_FACTOR``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, Protocol

import pytest_asyncio
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection

from ingest.model.update import Figures, Kind, Update
from ingest.store.redis_client import connect
from tests.conftest import TIMEOUT_FACTOR
from ticker.broadcast.broadcaster import Broadcaster, BroadcasterOptions

__all__ = [
    "RECV_TIMEOUT",
    "BroadcasterStarter",
    "RunningBroadcaster",
    "make_update",
    "recv_json",
    "recv_until",
    "recv_updates",
]

#: How long a test waits for one message (scaled for slow machines in one place).
RECV_TIMEOUT: Final = 5.0

_PARIS: Final = timezone(timedelta(hours=1))


def make_update(
    n: int,
    *,
    kind: Kind = Kind.NEWS,
    text: str | None = None,
    source: str = "liveblog",
    figures: Figures | None = None,
    speaker: str | None = None,
    minute: int | None = None,
) -> Update:
    """A valid update numbered ``n``: uid ``test:<n>``, at 20:00 + ``minute`` (default n)."""
    at = datetime(2017, 1, 29, 20, 0, tzinfo=_PARIS) + timedelta(
        minutes=n if minute is None else minute
    )
    return Update(
        uid=f"test:{n}",
        at=at,
        source=source,
        kind=kind,
        text=text if text is not None else f"update {n}",
        seen=datetime.now(UTC),
        speaker=speaker,
        figures=figures,
        round=2,
    )


async def recv_json(ws: ClientConnection, *, within: float = RECV_TIMEOUT) -> dict[str, Any]:
    """The next message, parsed."""
    async with asyncio.timeout(within * TIMEOUT_FACTOR):
        raw = await ws.recv()
    message = json.loads(raw)
    assert isinstance(message, dict)
    return message


async def recv_until(
    ws: ClientConnection, kind: str, *, within: float = RECV_TIMEOUT
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Messages up to the first of type ``kind``: (those before it, it)."""
    before: list[dict[str, Any]] = []
    async with asyncio.timeout(within * TIMEOUT_FACTOR):
        while True:
            message = await recv_json(ws, within=within)
            if message["type"] == kind:
                return before, message
            before.append(message)


async def recv_updates(
    ws: ClientConnection, count: int, *, within: float = RECV_TIMEOUT
) -> list[dict[str, Any]]:
    """The next ``count`` update messages (other messages are skipped)."""
    updates: list[dict[str, Any]] = []
    async with asyncio.timeout(within * TIMEOUT_FACTOR):
        while len(updates) < count:
            message = await recv_json(ws, within=within)
            if message["type"] == "update":
                updates.append(message)
    return updates


@dataclass
class RunningBroadcaster:
    """A started broadcaster and its own Redis client."""

    broadcaster: Broadcaster
    redis: Redis
    host: str = "127.0.0.1"
    stopped: bool = False

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self.broadcaster.port

    def ws_url(self, query: str = "") -> str:
        """``ws://127.0.0.1:<port>/ws`` with an optional query string."""
        return f"ws://{self.host}:{self.port}/ws" + (f"?{query}" if query else "")

    def http_url(self, path: str = "/") -> str:
        """``http://127.0.0.1:<port><path>``."""
        return f"http://{self.host}:{self.port}{path}"

    async def stop(self) -> None:
        """Close the broadcaster (clients get 1001) and its Redis client."""
        if self.stopped:
            return
        self.stopped = True
        try:
            await self.broadcaster.close()
        finally:
            await self.redis.aclose()


class BroadcasterStarter(Protocol):
    """The ``start_broadcaster`` fixture's type."""

    def __call__(
        self,
        *,
        stream: str | None = None,
        port: int = 0,
        redis_url: str | None = None,
        **options: Any,
    ) -> Awaitable[RunningBroadcaster]:
        """Start one broadcaster."""
        ...


@pytest_asyncio.fixture
async def start_broadcaster(redis_url: str, stream_key: str) -> AsyncIterator[BroadcasterStarter]:
    """Start broadcasters on 127.0.0.1; all are closed when the test ends."""
    running: list[RunningBroadcaster] = []
    session_redis_url = redis_url

    async def start(
        *,
        stream: str | None = None,
        port: int = 0,
        redis_url: str | None = None,
        **options: Any,
    ) -> RunningBroadcaster:
        redis = await connect(redis_url or session_redis_url)
        options.setdefault("ping_interval", None)
        options.setdefault("close_timeout", 1.0)
        broadcaster = Broadcaster(redis, BroadcasterOptions(stream=stream or stream_key, **options))
        try:
            await broadcaster.start("127.0.0.1", port)
        except BaseException:
            await redis.aclose()
            raise
        started = RunningBroadcaster(broadcaster, redis)
        running.append(started)
        return started

    yield start
    for started in reversed(running):
        await started.stop()
