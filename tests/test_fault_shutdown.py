"""Faults: stopping promptly even when redis-py loses a cancellation (redis/redis-py#2028).

The race is real but rare (about one cancellation in two hundred lands at the wrong moment of a
loop of blocking reads): the in-process tests make it certain by swallowing one cancellation on
purpose, as the client does, and check that :mod:`ingest.runtime.aio`, the ticker and
``soiree dump --follow`` stop anyway. ``soiree dump --follow`` is also stopped for real with
SIGTERM and SIGINT, several times, as a subprocess.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest
from redis.asyncio import Redis
from rich.console import Console

from ingest.runtime.aio import cancel_until_done, run_until_signalled
from ingest.store.stream_reads import ReadBatch
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import make_update
from tests.plugins.ingest import soiree_command
from ticker.board.board_state import BoardState
from ticker.commands.ticker import TickerOptions, show_store
from ticker.terminal.ticker_view import TickerView
from ticker.wire.client_filter import Filter

if TYPE_CHECKING:  # imported by pytest_plugins at run time, so that pytest rewrites its asserts
    from tests.plugins.ticker import TickerKit

#: How long a stop may take: a few cancellation rounds, and a blocking read cut short.
PROMPT = 3.0 * TIMEOUT_FACTOR


class Swallower:
    """Loses the first cancellation that reaches it, as redis-py's client sometimes does."""

    def __init__(self) -> None:
        self.swallowed = 0

    async def pause(self, seconds: float) -> None:
        """Sleep; a first cancellation meanwhile is swallowed (the sleep just ends)."""
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            if self.swallowed:
                raise
            self.swallowed += 1
            current = asyncio.current_task()
            assert current is not None
            current.uncancel()


async def test_cancel_until_done_ends_a_task_that_swallows_its_first_cancellation() -> None:
    """A loop that loses one cancellation still ends, and its failure is handed back."""
    swallower = Swallower()
    rounds = 0

    async def reader() -> None:
        nonlocal rounds
        while True:  # a tail loop, as StreamStore.tail is
            rounds += 1
            await swallower.pause(0.05)

    async def failing() -> None:
        raise ValueError("boom")

    task = asyncio.create_task(reader())
    broken = asyncio.create_task(failing())
    await asyncio.sleep(0.02)
    async with asyncio.timeout(PROMPT):  # raises if the loop outlived the cancellations
        errors = await cancel_until_done([task, broken])
    assert task.cancelled()
    assert swallower.swallowed == 1
    assert rounds >= 2  # it did carry on after the first cancellation
    assert [str(error) for error in errors] == ["boom"]


def _asyncio_handles(signum: signal.Signals) -> bool:
    """Whether a ``loop.add_signal_handler`` handler is installed for ``signum`` now."""
    return getattr(signal.getsignal(signum), "__name__", "") == "_sighandler_noop"


@pytest.fixture
def signal_to_self() -> Callable[[signal.Signals], None]:
    """Send a signal to this process, only while asyncio handles it (else it stops pytest)."""

    def send(signum: signal.Signals) -> None:
        if not _asyncio_handles(signum):
            raise AssertionError(f"{signum.name} is not handled by the loop: it would stop pytest")
        os.kill(os.getpid(), signum)

    return send


async def _until_handled(signum: signal.Signals) -> None:
    async with asyncio.timeout(PROMPT):
        while not _asyncio_handles(signum):  # noqa: ASYNC110 - no event for this
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_run_until_signalled_stops_work_that_swallows_a_cancellation(
    signum: signal.Signals, signal_to_self: Callable[[signal.Signals], None]
) -> None:
    """SIGTERM or SIGINT stops a loop that loses a cancellation, and says a signal stopped it."""
    swallower = Swallower()

    async def follow() -> int:
        while True:
            await swallower.pause(0.05)

    running = asyncio.create_task(run_until_signalled(follow()))
    await _until_handled(signum)
    signal_to_self(signum)
    async with asyncio.timeout(PROMPT):
        stopped, result = await running
    assert (stopped, result) == (True, None)
    assert swallower.swallowed == 1
    assert not _asyncio_handles(signum)  # the handler is gone again


async def test_run_until_signalled_returns_what_the_work_returns() -> None:
    """Work that ends by itself gives its result; no signal needed."""

    async def work() -> int:
        await asyncio.sleep(0.01)
        return 3

    assert await run_until_signalled(work()) == (False, 3)


async def test_the_ticker_stops_on_sigterm_when_a_read_loses_its_cancellation(
    store: StreamStore,
    ticker: TickerKit,
    monkeypatch: pytest.MonkeyPatch,
    signal_to_self: Callable[[signal.Signals], None],
) -> None:
    """`soiree ticker` (its live display on a Redis feed) ends within seconds of SIGTERM."""
    updates = [replace(update, id=None) for update in ticker.updates_until("20:45")]
    await store.append_many(updates)
    swallowed: list[str] = []
    original = StreamStore.read_after

    async def read_after(self: StreamStore, since: str, *, block_ms: int, count: int) -> ReadBatch:
        try:
            return await original(self, since, block_ms=block_ms, count=count)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed.append(since)
            current = asyncio.current_task()
            assert current is not None
            current.uncancel()
            return ReadBatch(last_id=since)

    monkeypatch.setattr(StreamStore, "read_after", read_after)
    view = TickerView(board=BoardState(round=2))
    console = Console(file=io.StringIO(), width=100)
    options = TickerOptions(filter=Filter(), once=False, feed_items=10, ws_url=None)
    showing = asyncio.create_task(show_store(store, view, options, console))
    async with asyncio.timeout(PROMPT):
        while view.board.applied < len(updates):  # noqa: ASYNC110 - polled, as a reader would
            await asyncio.sleep(0.02)
    await _until_handled(signal.SIGTERM)
    await asyncio.sleep(0.1)  # the feed is in its blocking read
    signal_to_self(signal.SIGTERM)
    started = time.monotonic()
    async with asyncio.timeout(PROMPT):
        assert await showing == 0
    assert swallowed, "the read never saw the cancellation it was meant to lose"
    print(f"ticker stopped {time.monotonic() - started:.2f} s after SIGTERM")


# -- soiree dump --follow, for real ------------------------------------------------------------


async def _read_lines(stream: asyncio.StreamReader, count: int) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    async with asyncio.timeout(30 * TIMEOUT_FACTOR):
        while len(lines) < count:
            raw = await stream.readline()
            assert raw.endswith(b"\n"), raw
            lines.append(json.loads(raw))
    return lines


@pytest.mark.slow
async def test_dump_follow_stops_cleanly_on_sigterm_and_sigint_every_time(
    redis_client: Redis, redis_url: str, stream_key: str
) -> None:
    """`soiree dump --follow` exits 0 within seconds of SIGTERM or SIGINT, whole lines only."""
    store = StreamStore(redis_client, stream_key)
    await store.append_many([make_update(n) for n in range(5)])
    stops: list[float] = []
    for attempt, signum in enumerate([signal.SIGTERM, signal.SIGINT, signal.SIGTERM]):
        process = await asyncio.create_subprocess_exec(
            *soiree_command(
                "dump", "--follow", "--since", "0", "--redis-url", redis_url, "--stream",
                stream_key,
            ),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        try:
            history = await _read_lines(process.stdout, 5 + attempt)
            await store.append(make_update(100 + attempt))
            (followed,) = await _read_lines(process.stdout, 1)
            assert followed["uid"] == f"test:{100 + attempt}"
            await asyncio.sleep(0.2 * attempt)  # at another moment of the blocking read
            process.send_signal(signum)
            started = time.monotonic()
            rest, err = await asyncio.wait_for(process.communicate(), timeout=PROMPT + 5)
            stops.append(time.monotonic() - started)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        assert process.returncode == 0, err.decode()
        assert rest == b""
        assert b"Traceback" not in err
        assert [line["uid"] for line in history][:5] == [f"test:{n}" for n in range(5)]
        assert stops[-1] < PROMPT
    print("dump --follow stopped after " + ", ".join(f"{s:.2f} s" for s in stops))
