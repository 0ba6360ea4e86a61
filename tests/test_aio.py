"""Tests for ingest.runtime.aio: stop handling, deferred stops, the command loop."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import pytest

from ingest.runtime.aio import (
    Stopped,
    deferred_stop,
    run_command,
    stop_handling,
    stop_on_signals,
    wait_or_stop,
)
from tests.conftest import TIMEOUT_FACTOR


def _terminate_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    signal.sigtimedwait([], 0)  # the handler runs before this returns


def _stopped_under_stop_handling(work: Callable[[], None]) -> Stopped | None:
    with stop_handling():
        try:
            work()
        except Stopped as stopped:
            return stopped
    return None


def test_sigterm_raises_stopped_and_handlers_come_back() -> None:
    """Inside stop_handling SIGTERM raises Stopped; afterwards the previous handler is back."""
    before = signal.getsignal(signal.SIGTERM)
    stopped = _stopped_under_stop_handling(_terminate_self)
    assert stopped is not None
    assert stopped.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_deferred_stop_is_raised_after_the_block() -> None:
    """A SIGTERM inside deferred_stop lets the block finish, then raises Stopped once."""
    finished: list[bool] = []

    def deferred_work() -> None:
        with deferred_stop():
            _terminate_self()
            finished.append(True)

    assert _stopped_under_stop_handling(deferred_work) is not None
    assert finished == [True]


async def test_an_event_loop_takes_the_signal_as_an_event() -> None:
    """Under stop_on_signals, SIGTERM sets the event instead of raising."""
    with stop_handling():
        async with stop_on_signals() as stop:
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(stop.wait(), 5 * TIMEOUT_FACTOR)
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)


class _KillsOnCollect:
    """An object whose destructor sends SIGTERM: the signal lands in a ``__del__``, where an
    exception is swallowed (as it did in redis-py's parser, during a garbage collection)."""

    def __del__(self) -> None:
        _terminate_self()


def test_run_command_takes_a_signal_that_lands_in_a_destructor() -> None:
    """Under run_command a SIGTERM raised in a destructor still stops the command."""
    cleaned: list[str] = []

    async def work() -> str:
        try:
            _KillsOnCollect()  # collected at once: SIGTERM inside __del__
            await asyncio.sleep(30)
            return "ran to its end"
        finally:
            cleaned.append("finally")

    with stop_handling(), pytest.raises(Stopped) as stopped:
        run_command(work())
    assert stopped.value.signum == signal.SIGTERM
    assert cleaned == ["finally"]


def test_run_command_hands_a_signal_to_the_open_stop_block() -> None:
    """Inside stop_on_signals the signal sets the block's event: the command returns cleanly."""

    async def work() -> str:
        async with stop_on_signals() as stop:
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(stop.wait(), 5 * TIMEOUT_FACTOR)
        # A block opened after the stop is stopped at once.
        async with stop_on_signals() as again:
            assert again.is_set()
        return "stopped cleanly"

    with stop_handling():
        assert run_command(work()) == "stopped cleanly"


def test_run_command_cancels_the_tasks_a_command_left_running() -> None:
    """Tasks the work started and never ended are cancelled before the loop closes."""
    ended: list[str] = []

    async def forgotten() -> None:
        try:
            await asyncio.sleep(30)
        finally:
            ended.append("forgotten")

    async def work() -> int:
        asyncio.get_running_loop().create_task(forgotten())
        await asyncio.sleep(0)
        return 7

    with stop_handling():
        assert run_command(work()) == 7
    assert ended == ["forgotten"]


async def test_wait_or_stop_says_which_came_first() -> None:
    """The work's end: False, the work done; the stop: True, the work cancelled."""
    stop = asyncio.Event()
    done: list[str] = []

    async def work(seconds: float) -> None:
        try:
            await asyncio.sleep(seconds)
            done.append("ended")
        except asyncio.CancelledError:
            done.append("cancelled")
            raise

    assert await wait_or_stop(work(0), stop) is False
    asyncio.get_running_loop().call_later(0.01, stop.set)
    assert await wait_or_stop(work(30), stop) is True
    await asyncio.sleep(0)
    assert done == ["ended", "cancelled"]
    assert await wait_or_stop(work(30), stop) is True  # already stopped: not even started


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowing
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_swallowed_before_the_loop_still_stops_the_command(signum: int) -> None:
    """A stop raised where it is swallowed before the command's loop starts (a destructor, or
    the weakref callback of importlib's module locks: a replay Ctrl-C'd 0.4 s in ran on) stops
    the command as soon as its loop starts."""

    class SignalsOnCollect:
        def __del__(self) -> None:
            os.kill(os.getpid(), signum)

    async def work() -> str:
        await asyncio.sleep(0)
        return "ran to its end"

    with stop_handling():
        SignalsOnCollect()  # collected at once: the Stopped raised in __del__ is swallowed
        with pytest.raises(Stopped) as stopped:
            run_command(work())
    assert stopped.value.signum == signum
