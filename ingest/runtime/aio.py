"""asyncio plumbing every command and loop shares: stop on signals, cancel until done.

**Stopping.** Every command's first step (:func:`ingest.cli.main`) is
:func:`stop_handling`: from then on SIGTERM and SIGINT raise :class:`Stopped` wherever
the program is (starting the embedded Redis, loading a night...), so ``finally`` blocks run and
nothing started is left behind; the command line exits 0 on SIGTERM and on SIGINT (before
:func:`ingest.cli.main`, :mod:`ingest.launch` holds both). A command's
event loop runs under :func:`run_command`, never :func:`asyncio.run`: there a signal is never
raised in whatever code runs at that moment (an exception raised in a destructor or a callback
is swallowed, and the stop with it); the loop takes it. Inside a :func:`stop_on_signals` block
it sets the :class:`asyncio.Event` the command waits on, for a clean stop; elsewhere it cancels
the command's coroutine at its next ``await``, and :func:`run_command` raises :class:`Stopped`
once the loop is closed. Cleanup that must not be torn by a second signal runs under
:func:`deferred_stop`; under :func:`run_command` a second signal is only recorded.

**Cancelling.** redis-py's asyncio client can lose a cancellation: on Python before 3.12, the
``asyncio.wait_for`` it wraps around sending a command returns normally when the send completes
at the moment the cancellation lands (python/cpython#86296; redis/redis-py#2028), so the task
carries on to read the reply, a blocking ``XREAD`` for instance, and a loop around it never
ends. Measured on this machine: about one cancellation in two hundred, at random moments of a
loop of blocking reads. Every place that stops a task reading Redis in a loop therefore goes
through :func:`cancel_until_done`, and a command that runs until interrupted goes through
:func:`run_until_signalled`.

Any other signal a command answers in its event loop (``serve``'s SIGHUP) goes through
:func:`call_on_signals`, as the stop signals do. Retrying with backoff, the readers' reconnect
loop, is :mod:`ingest.runtime.retrying`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
)
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, Final, TypeVar

__all__ = [
    "CANCEL_EVERY",
    "STOP_SIGNALS",
    "Stopped",
    "call_on_signals",
    "cancel_until_done",
    "deferred_stop",
    "run_command",
    "run_until_signalled",
    "stop_handling",
    "stop_on_signals",
    "stop_requested",
    "wait_or_stop",
]

#: Seconds between two cancellations of a task that has not ended yet.
CANCEL_EVERY: Final = 0.1
#: Seconds :func:`run_command` keeps cancelling the tasks a command left behind, at its end.
LEFTOVER_GRACE: Final = 5.0
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)

_T = TypeVar("_T")


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGINT arrived while no event loop was waiting for it: the command stops.

    A :class:`KeyboardInterrupt`, so that it unwinds everything (``finally`` blocks run) and
    is never caught by an ``except Exception``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass
class _StopState:
    requested: int | None = None
    delivered: bool = False  # raised as Stopped, or handed to an event loop's waiter
    deferring: int = 0
    # Under run_command: the signal its loop took (None: none yet), and the events of the
    # stop_on_signals blocks open now (the loop's handler sets them).
    command_loop: bool = False
    command_stop: int | None = None
    waiters: list[asyncio.Event] = field(default_factory=list)


_STATE: Final = _StopState()


def _on_stop_signal(signum: int, frame: FrameType | None) -> None:
    if _STATE.requested is None:
        _STATE.requested = signum
    if not _STATE.delivered and _STATE.deferring == 0:
        _STATE.delivered = True
        raise Stopped(signum)


@contextlib.contextmanager
def stop_handling() -> Iterator[bool]:
    """Within the block, SIGTERM and SIGINT raise :class:`Stopped` (once); the previous
    handlers are back after it. Yields False off the main thread, where nothing is installed
    (the embedding program handles signals)."""
    _STATE.requested, _STATE.delivered = None, False
    previous: dict[signal.Signals, Any] = {}
    try:
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, _on_stop_signal)
    except ValueError:
        pass
    try:
        yield bool(previous)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        # A stop of this block is over: a later run_command (a test's) must not take it.
        _STATE.requested, _STATE.delivered = None, False


def stop_requested() -> int | None:
    """The stop signal received so far (by any of this module's handlers), or None."""
    return _STATE.requested


@contextlib.contextmanager
def deferred_stop() -> Iterator[None]:
    """Within this block a stop signal is only recorded; :class:`Stopped` is raised after it.

    For steps that must not be torn in two: starting a server and noting its pid, shutting it
    down. A signal already delivered (raised, or handed to an event loop) is not raised again.
    """
    _STATE.deferring += 1
    try:
        yield
    finally:
        _STATE.deferring -= 1
    if _STATE.deferring == 0 and _STATE.requested is not None and not _STATE.delivered:
        _STATE.delivered = True
        raise Stopped(_STATE.requested)


@contextlib.asynccontextmanager
async def stop_on_signals(
    signals: Iterable[signal.Signals] = STOP_SIGNALS, *, event: asyncio.Event | None = None
) -> AsyncIterator[asyncio.Event]:
    """An event (``event``, else a new one) set when one of ``signals`` arrives, in the block.

    On leaving, the process-wide handling (:func:`stop_handling`, or Python's default)
    is back. Outside the main thread no handler can be set: the event is then only set by the
    caller.
    """
    stop = event if event is not None else asyncio.Event()
    if _STATE.command_loop:
        # run_command's loop holds the signals: it sets this block's event.
        if _STATE.command_stop is not None:
            stop.set()
        _STATE.waiters.append(stop)
        try:
            yield stop
        finally:
            _STATE.waiters.remove(stop)
        return

    def received(signum: signal.Signals) -> None:
        if _STATE.requested is None:
            _STATE.requested = signum
        _STATE.delivered = True
        stop.set()

    with call_on_signals(signals, received):
        if _STATE.requested is not None and not _STATE.delivered:
            _STATE.delivered = True
            stop.set()  # asked (while deferred) before the loop took over: stop at once
        yield stop


@contextlib.contextmanager
def call_on_signals(
    signals: Iterable[signal.Signals], received: Callable[[signal.Signals], None]
) -> Iterator[bool]:
    """Within the block, the running event loop calls ``received(signum)`` when one of
    ``signals`` arrives; on leaving, each signal's handler before the block is back. Yield
    whether the loop took any (outside the main thread it can take none: then nothing is
    called, and the caller goes on without)."""
    loop = asyncio.get_running_loop()
    previous: dict[signal.Signals, Any] = {}
    for signum in signals:
        handler = signal.getsignal(signum)
        try:
            loop.add_signal_handler(signum, received, signum)
        except (ValueError, RuntimeError, NotImplementedError):
            continue
        previous[signum] = handler
    try:
        yield bool(previous)
    finally:
        for signum, handler in previous.items():
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signum)
            if handler is not None:
                signal.signal(signum, handler)


async def cancel_until_done(
    tasks: Iterable[asyncio.Future[Any]], *, every: float = CANCEL_EVERY
) -> list[BaseException]:
    """Cancel ``tasks`` and wait until every one has ended, cancelling again if need be.

    Returns the exceptions the tasks ended with (other than their cancellation), in order,
    rather than raising them; a cancellation of the caller itself still goes through.
    """
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=every)
    return [
        error for task in tasks if not task.cancelled() and (error := task.exception()) is not None
    ]


@dataclass
class _Outcome:
    value: Any = None
    stopped_by: int | None = None


def run_command(
    work: Coroutine[Any, Any, _T],
    *,
    run: Callable[[Coroutine[Any, Any, _Outcome]], _Outcome] = asyncio.run,
) -> _T:
    """Run a command's coroutine in a new event loop (``run``: :func:`asyncio.run`, or
    uvloop's), the signals safe.

    SIGTERM / SIGINT set the events of the :func:`stop_on_signals` blocks open at that moment
    (the command stops cleanly and returns); with none open, they cancel ``work`` at its next
    ``await``, and :class:`Stopped` is raised here once the loop is closed. Tasks ``work`` left
    running are cancelled (again and again, for :data:`LEFTOVER_GRACE` seconds at most) before
    the loop closes. A second signal is only recorded. Outside the main thread no handler can
    be set: ``work`` runs as under :func:`asyncio.run`.
    """
    if _STATE.command_loop:
        raise RuntimeError("run_command: a command's loop already runs")
    _STATE.command_stop = None
    # Until the loop's handlers are in place, a signal is only recorded (then taken by them).
    with deferred_stop():
        outcome = run(_command_main(work))
    if outcome.stopped_by is not None:
        raise Stopped(outcome.stopped_by)
    value: _T = outcome.value
    return value


async def _command_main(work: Coroutine[Any, Any, _T]) -> _Outcome:
    task = asyncio.ensure_future(work)
    cancelled_for_stop = False

    def received(signum: int) -> None:
        nonlocal cancelled_for_stop
        if _STATE.requested is None:
            _STATE.requested = signum
        if _STATE.command_stop is not None:
            return  # a second signal: the stop is under way
        _STATE.command_stop = signum
        _STATE.delivered = True
        if _STATE.waiters:
            for waiter in _STATE.waiters:
                waiter.set()
        elif not task.done():
            cancelled_for_stop = True
            task.cancel()

    with call_on_signals(STOP_SIGNALS, received) as taken:
        _STATE.command_loop = taken
        try:
            if _STATE.requested is not None:
                # Arrived while the loop started; or raised earlier where it was swallowed (a
                # destructor, a weakref callback: importlib's module locks have one), else the
                # Stopped raised then would have unwound the command before it got here.
                received(_STATE.requested)
            try:
                value = await asyncio.shield(task)
            except asyncio.CancelledError:
                if not (cancelled_for_stop and task.cancelled()):
                    raise
                return _Outcome(stopped_by=_STATE.command_stop)
            return _Outcome(value=value)
        finally:
            _STATE.command_loop = False
            _STATE.waiters.clear()
            await _cancel_leftovers(task)


async def _cancel_leftovers(task: asyncio.Future[Any]) -> None:
    """Cancel ``task`` and whatever else still runs, for :data:`LEFTOVER_GRACE` s at most."""
    current = asyncio.current_task()
    pending = {task} | {other for other in asyncio.all_tasks() if other is not current}
    pending = {other for other in pending if not other.done()}
    deadline = asyncio.get_running_loop().time() + LEFTOVER_GRACE
    while pending and asyncio.get_running_loop().time() < deadline:
        for other in pending:
            other.cancel()
        _done, pending = await asyncio.wait(pending, timeout=CANCEL_EVERY)
    if task.done() and not task.cancelled():
        task.exception()  # retrieved: the caller has it through the shield


async def wait_or_stop(work: Awaitable[Any], stop: asyncio.Event) -> bool:
    """Wait for ``work`` (a clock's moment, a sleep) or ``stop``, whichever comes first; return
    whether ``stop`` is set. ``work`` is cancelled if it has not ended."""
    waiter = asyncio.ensure_future(work)
    if stop.is_set():
        waiter.cancel()
        return True
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, stopper):
            task.cancel()
    return stop.is_set()


async def run_until_signalled(
    work: Coroutine[Any, Any, _T],
    *,
    signals: Iterable[signal.Signals] = STOP_SIGNALS,
) -> tuple[bool, _T | None]:
    """Run ``work`` until it returns or one of ``signals`` arrives, then stop it for sure.

    Returns ``(True, None)`` when a signal stopped it, ``(False, result)`` when it returned;
    its exceptions propagate. Outside the main thread no handler can be set: ``work`` then runs
    until it ends or the caller is cancelled.
    """
    task = asyncio.ensure_future(work)
    async with stop_on_signals(signals) as stop:
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            await cancel_until_done([task])
    if task.cancelled():
        return True, None
    return False, task.result()
