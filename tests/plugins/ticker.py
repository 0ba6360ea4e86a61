"""Helpers for the terminal ticker's tests: the night at a given time, frames rendered as text.

Register with ``pytest_plugins = ["tests.plugins.ticker"]`` (or ``-p tests.plugins.ticker``).

``ticker`` (session): a :class:`TickerKit` for the bundled night (``ticker.night``)
    ``ticker.updates_until("20:45", day=29)``: the night's updates with ``at`` up to that
    Paris time, in the night's order, each with a stream id (``"1-0"``, ``"2-0"``...) as if
    read back from the stream. ``ticker.board_at("20:45")`` / ``ticker.view_at("20:45")``: a
    :class:`~ticker.board.board_state.BoardState` / :class:`~ticker.terminal.ticker_view.TickerView`
    with those updates applied as backlog (nothing highlighted). ``ticker.render(renderable,
    width=80, color=False)``: what a ``Console(file=io.StringIO(), width=width)`` prints, plain
    or (``color``) with ANSI styles. ``ticker.now``: the wall time frames are rendered at,
    29 January 2017 at 21:00 Paris. ``changes = ticker.changes()``: a :class:`Changes`, the
    ``notify`` callback to give a feed; ``await changes.until(condition)`` waits for the feed
    to make ``condition()`` true (timeout scaled by ``SOIREE_TEST_TIMEOUT_FACTOR``);
    ``changes.watch(task)`` / ``serve(changes.guard(handler), ...)`` make a background task's
    or a server handler's error fail that wait at once, with that error, and ``await
    changes.stop(task)`` cancels a task and raises what it failed with.
``broadcasters`` (function): a :class:`BroadcasterForTicker`
    Real broadcasters on 127.0.0.1 for ``--ws`` tests (``await broadcasters.start(stream)``);
    needs ``redis_url`` from ``tests/conftest.py``.

Test modules import the plugin's names only under ``TYPE_CHECKING`` (it is registered through
``pytest_plugins``, and must not be imported before, so that pytest rewrites its asserts).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, TypeVar
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from redis.asyncio import Redis
from rich.console import Console, RenderableType

from ingest.model.update import Op, Update
from ingest.store.redis_client import connect
from replay.fixtures import find_night
from replay.night_fixture import NightFixture
from replay.timeline import night_updates
from tests.conftest import TIMEOUT_FACTOR
from ticker.board.board_state import BoardState
from ticker.broadcast.broadcaster import Broadcaster, BroadcasterOptions
from ticker.terminal.ticker_view import Connection, ConnectionState, TickerView

__all__ = ["NOW", "WAIT_SECONDS", "BroadcasterForTicker", "Changes", "TickerKit"]

PARIS: Final = ZoneInfo("Europe/Paris")
NOW: Final = datetime(2017, 1, 29, 21, 0, tzinfo=PARIS).timestamp()
#: How long a test waits for a feed to bring what it expects.
WAIT_SECONDS: Final = 5.0
_SEEN: Final = datetime(2017, 1, 29, 20, 0, tzinfo=UTC)
_Connection = TypeVar("_Connection")


class Changes:
    """A feed's ``notify`` callback that a test can wait on: ``await changes.until(...)``.

    What runs in the background of a test (a feed's task given to :meth:`watch`, a scripted
    server's handler wrapped by :meth:`guard`) fails the wait at once with its own error,
    rather than leaving the test to time out; :meth:`stop` cancels a watched task and raises
    what it failed with, if anything but the cancellation.
    """

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self.count = 0
        self.failure: BaseException | None = None

    def __call__(self) -> None:
        self.count += 1
        self._changed.set()

    def fail(self, error: BaseException) -> None:
        """A background part of the test failed: every wait raises ``error`` (the first one)."""
        if self.failure is None:
            self.failure = error
        self._changed.set()

    def watch(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        """Fail the waits as soon as ``task`` ends with an exception; returns ``task``."""

        def ended(done: asyncio.Task[Any]) -> None:
            if not done.cancelled() and (error := done.exception()) is not None:
                self.fail(error)

        task.add_done_callback(ended)
        return task

    def guard(
        self, handler: Callable[[_Connection], Awaitable[None]]
    ) -> Callable[[_Connection], Awaitable[None]]:
        """``handler`` (a server's, whose errors the server would only log) failing the waits."""

        async def guarded(connection: _Connection) -> None:
            try:
                await handler(connection)
            except Exception as error:
                self.fail(error)
                raise

        return guarded

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait for notifications until ``condition()`` holds (failing after a while)."""
        async with asyncio.timeout(WAIT_SECONDS * TIMEOUT_FACTOR):
            while self.failure is None and not condition():
                self._changed.clear()
                await self._changed.wait()
        if self.failure is not None:
            raise self.failure

    async def stop(self, task: asyncio.Task[Any]) -> None:
        """Cancel ``task`` and wait for it; raise what it failed with, other than cancellation."""
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if self.failure is not None:
            raise self.failure


class TickerKit:
    """The night at any time of the evening, as updates, a board or a view; frames as text."""

    #: The wall time frames are rendered at (Unix seconds): 29 January 2017, 21:00 Paris.
    now: float = NOW

    def __init__(self, night: NightFixture) -> None:
        self.night = night

    def updates_until(self, hhmm: str, *, day: int = 29) -> list[Update]:
        """The night's updates up to ``hhmm`` (Paris) on January ``day``, with stream ids."""
        hour, minute = (int(part) for part in hhmm.split(":"))
        cut = datetime(2017, 1, day, hour, minute, tzinfo=PARIS)
        updates = [update for update in night_updates(self.night, seen=_SEEN) if update.at <= cut]
        return [
            update.with_stream(id=f"{index}-0", op=Op.ADD)
            for index, update in enumerate(updates, start=1)
        ]

    def board_at(self, hhmm: str, *, day: int = 29, **options: Any) -> BoardState:
        """The board of the night at ``hhmm``, everything applied as backlog."""
        board = BoardState(round=self.night.night.round, **options)
        board.add_candidates(candidate.name for candidate in self.night.night.candidates)
        board.apply_all(self.updates_until(hhmm, day=day))
        return board

    def view_at(self, hhmm: str, *, day: int = 29) -> TickerView:
        """A live ticker's view of the night at ``hhmm``."""
        night = self.night.night
        return TickerView(
            board=self.board_at(hhmm, day=day),
            title=night.title,
            timezone=night.timezone,
            night_date=night.date,
            origin="redis · soiree:night:2017-01-29",
            connection=Connection(ConnectionState.LIVE),
        )

    @staticmethod
    def changes() -> Changes:
        """A new :class:`Changes`: the ``notify`` to give a feed, and a way to wait on it."""
        return Changes()

    @staticmethod
    def render(renderable: RenderableType, *, width: int = 80, color: bool = False) -> str:
        """``renderable`` as printed on a ``Console(file=io.StringIO(), width=width)``."""
        console = Console(
            file=io.StringIO(),
            width=width,
            force_terminal=color,
            color_system="truecolor" if color else None,
            legacy_windows=False,
        )
        console.print(renderable)
        output = console.file
        assert isinstance(output, io.StringIO)
        return output.getvalue()


class BroadcasterForTicker:
    """Real broadcasters (:class:`ticker.broadcast.broadcaster.Broadcaster`) on 127.0.0.1 for a
    ticker.

    ``running = await broadcasters.start(stream, night=..., port=0)`` starts one with a Redis
    client of its own, as ``soiree serve`` would; ``running.port``; ``await
    broadcasters.stop(running)`` stops one (clients see it go), and every one still running
    is stopped when the test ends.
    """

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self._running: list[tuple[Broadcaster, Redis]] = []

    async def start(
        self, stream: str, *, night: Mapping[str, Any] | None = None, port: int = 0
    ) -> Broadcaster:
        """Start a broadcaster relaying ``stream``."""
        client = await connect(self.redis_url)
        broadcaster = Broadcaster(
            client,
            BroadcasterOptions(stream=stream, night=night, ping_interval=None, close_timeout=1.0),
        )
        try:
            await broadcaster.start("127.0.0.1", port)
        except BaseException:
            await client.aclose()
            raise
        self._running.append((broadcaster, client))
        return broadcaster

    async def stop(self, broadcaster: Broadcaster) -> None:
        """Stop one broadcaster (its clients are disconnected)."""
        for index, (running, client) in enumerate(self._running):
            if running is broadcaster:
                del self._running[index]
                try:
                    await running.close()
                finally:
                    await client.aclose()
                return

    async def stop_all(self) -> None:
        """Stop every broadcaster still running."""
        while self._running:
            await self.stop(self._running[-1][0])


@pytest_asyncio.fixture
async def broadcasters(redis_url: str) -> AsyncIterator[BroadcasterForTicker]:
    """Start real broadcasters for the ticker to relay; all stopped when the test ends."""
    started = BroadcasterForTicker(redis_url)
    try:
        yield started
    finally:
        await started.stop_all()


@pytest.fixture(scope="session")
def ticker() -> TickerKit:
    """The ticker's test kit for the bundled night of 29 January 2017."""
    return TickerKit(find_night())
