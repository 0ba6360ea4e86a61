"""A test's background parts (a feed's task, a scripted server's handler) fail it with their error.

Without :meth:`tests.plugins.ticker.Changes.watch` / ``guard`` / ``stop``, a feed task that
raised or an ``assert`` inside a server handler only showed as the wait timing out.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest
from websockets.asyncio.server import ServerConnection, serve

from ingest.runtime.backoff import Backoff
from tests.conftest import TIMEOUT_FACTOR
from ticker.terminal.ticker_view import TickerView
from ticker.terminal.ws_relay import WsRelay

if TYPE_CHECKING:  # imported by pytest_plugins at run time, so that pytest rewrites its asserts
    from tests.plugins.ticker import TickerKit


async def test_a_watched_task_that_raises_fails_the_wait_with_its_error(ticker: TickerKit) -> None:
    """The wait raises the task's own error at once, not a TimeoutError seconds later."""
    changes = ticker.changes()

    async def broken() -> None:
        await asyncio.sleep(0.01)
        raise ValueError("the feed broke")

    task = changes.watch(asyncio.create_task(broken()))
    async with asyncio.timeout(2.0 * TIMEOUT_FACTOR):  # well before the wait's own timeout
        with pytest.raises(ValueError, match="the feed broke"):
            await changes.until(lambda: False)
    with pytest.raises(ValueError, match="the feed broke"):
        await changes.stop(task)


async def test_stop_raises_what_a_task_failed_with_but_not_its_cancellation(
    ticker: TickerKit,
) -> None:
    """A task that ends cancelled stops quietly; one that fails while stopping says so."""
    changes = ticker.changes()
    quiet = changes.watch(asyncio.create_task(asyncio.sleep(60)))
    await changes.stop(quiet)
    assert quiet.cancelled()

    async def fails_on_cancel() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise RuntimeError("cleanup failed") from None

    loud = changes.watch(asyncio.create_task(fails_on_cancel()))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="cleanup failed"):
        await changes.stop(loud)


async def test_an_assert_in_a_guarded_server_handler_fails_the_wait(ticker: TickerKit) -> None:
    """A scripted server whose handler asserts: the wait raises that AssertionError."""
    changes = ticker.changes()

    async def handler(connection: ServerConnection) -> None:
        await connection.send(json.dumps({"type": "hello", "night": None}))
        assert connection.request is not None
        assert connection.request.path == "/elsewhere", connection.request.path

    async with serve(changes.guard(handler), "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        view = TickerView()
        relay = WsRelay(
            f"ws://127.0.0.1:{port}/ws", view, notify=changes, backoff=Backoff(interval=0.05)
        )
        relaying = changes.watch(asyncio.create_task(relay.run()))
        with pytest.raises(AssertionError, match="/ws"):
            await changes.until(lambda: False)
        with pytest.raises(AssertionError):
            await changes.stop(relaying)
        assert relaying.cancelled()
