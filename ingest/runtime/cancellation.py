"""Stopping asyncio tasks that do not always stop when first told to.

redis-py's asyncio client can lose a cancellation: on Python before 3.12, the
``asyncio.wait_for`` it wraps around sending a command returns normally when the send completes
at the moment the cancellation lands (python/cpython#86296; redis/redis-py#2028), so the task
carries on to read the reply, a blocking ``XREAD`` for instance, and a loop around it never
ends. Measured on this machine: about one cancellation in two hundred, at random moments of a
loop of blocking reads. Every place that stops a task reading Redis in a loop therefore goes
through :func:`cancel_until_done`, and a command that runs until interrupted goes through
:func:`run_until_signalled`.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine, Iterable
from typing import Any, Final, TypeVar

__all__ = ["CANCEL_EVERY", "cancel_until_done", "run_until_signalled"]

#: Seconds between two cancellations of a task that has not ended yet.
CANCEL_EVERY: Final = 0.1

_T = TypeVar("_T")


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


async def run_until_signalled(
    work: Coroutine[Any, Any, _T],
    *,
    signals: Iterable[signal.Signals] = (signal.SIGINT, signal.SIGTERM),
) -> tuple[bool, _T | None]:
    """Run ``work`` until it returns or one of ``signals`` arrives, then stop it for sure.

    Returns ``(True, None)`` when a signal stopped it, ``(False, result)`` when it returned;
    its exceptions propagate. Outside the main thread no handler can be set: ``work`` then runs
    until it ends or the caller is cancelled.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(work)
    stop = asyncio.Event()
    handled: list[signal.Signals] = []
    for signum in signals:
        try:
            loop.add_signal_handler(signum, stop.set)
        except (ValueError, RuntimeError, NotImplementedError):
            continue
        handled.append(signum)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        stopping.cancel()
        await cancel_until_done([task])
    if task.cancelled():
        return True, None
    return False, task.result()
