"""Retrying with backoff: the reconnect loop of every reader, as an async iterator.

:func:`retrying` is the reconnect loop of every reader (the ticker's Redis feed, its websocket
relay and the broadcaster's stream reader): an async iterator of :class:`Attempt` s, each a
``with`` block that catches the errors worth retrying; between two failed attempts it waits
:func:`~ingest.runtime.backoff.backoff_delay` (exponential, with jitter).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from types import TracebackType

from ingest.runtime.backoff import Backoff, backoff_delay

__all__ = ["Attempt", "retrying"]


@dataclass
class Attempt:
    """One try of :func:`retrying`: ``with attempt:`` catches the errors worth retrying."""

    failures: int
    """Consecutive failed attempts before this one."""
    retry_on: tuple[type[BaseException], ...]
    error: BaseException | None = None
    """What ended this attempt, if it failed."""
    recovered: bool = field(default=False)

    def succeeded(self) -> None:
        """Say that this attempt got through (connected, caught up): the backoff starts over."""
        self.recovered = True

    def fail(self, error: BaseException) -> None:
        """End this attempt as failed without raising (a server that closed the connection)."""
        self.error = error

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if error is not None and isinstance(error, self.retry_on):
            self.error = error
            return True
        return False


async def retrying(
    policy: Backoff,
    *,
    retry_on: tuple[type[BaseException], ...],
    on_failure: Callable[[BaseException, float], None] | None = None,
) -> AsyncGenerator[Attempt, None]:
    """Attempts until one ends without error; between failures, wait with backoff.

    ``on_failure(error, delay)`` is called before each wait (to say "reconnecting in 2 s").
    An attempt that called :meth:`Attempt.succeeded` before failing counts as the first failure
    of a new series.
    """
    failures = 0
    while True:
        attempt = Attempt(failures=failures, retry_on=retry_on)
        yield attempt
        if attempt.error is None:
            return
        failures = 1 if attempt.recovered else failures + 1
        delay = backoff_delay(failures, policy)
        if on_failure is not None:
            on_failure(attempt.error, delay)
        await asyncio.sleep(delay)
