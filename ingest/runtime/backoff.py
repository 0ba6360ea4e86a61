"""When to poll a source next: its interval, what the server asked, and backoff on errors. Pure.

- After a good poll: the source's ``interval``, or longer if the answer's
  ``Cache-Control: max-age`` says the content stays fresh longer (capped at ``max_backoff``, so
  a year-long max-age cannot silence a source).
- After a failed poll: exponential backoff, ``interval * 2 ** failures`` capped at
  ``max_backoff``, with jitter (a random fraction of up to ``jitter`` taken off), so that
  pollers that failed together do not retry together.
- ``Retry-After`` (on a 429 or 503, or any answer carrying it) is a floor under either, capped
  at :data:`MAX_RETRY_AFTER`: it never shortens a delay, even one longer than that cap.

The random draw is a parameter, so tests pass a fixed one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_RETRY_AFTER", "Backoff", "backoff_delay", "next_poll_delay"]

#: The longest ``Retry-After`` honoured, in seconds: a server asking for more is polled hourly.
MAX_RETRY_AFTER: Final = 3600.0


@dataclass(frozen=True, slots=True)
class Backoff:
    """The backoff policy of one source."""

    interval: float
    max_backoff: float = 300.0
    factor: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.interval <= 0 or self.max_backoff <= 0:
            raise ValueError("interval and max_backoff must be positive")
        if self.factor < 1:
            raise ValueError("factor must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be within 0-1")


def backoff_delay(
    failures: int, policy: Backoff, *, draw: Callable[[], float] = random.random
) -> float:
    """The delay after ``failures`` consecutive failed polls (0: the plain interval)."""
    if failures <= 0:
        return policy.interval
    # Exponents are bounded before the power, so a source failing all night cannot overflow.
    steps = min(failures, 64)
    ceiling = min(policy.max_backoff, policy.interval * policy.factor**steps)
    ceiling = max(ceiling, policy.interval)
    return ceiling * (1.0 - policy.jitter * draw())


def next_poll_delay(
    policy: Backoff,
    *,
    failures: int,
    retry_after: float | None = None,
    max_age: float | None = None,
    draw: Callable[[], float] = random.random,
) -> float:
    """Seconds until the next poll of a source (see the module docstring for the rules)."""
    if failures > 0:
        delay = backoff_delay(failures, policy, draw=draw)
    else:
        delay = policy.interval
        if max_age is not None:
            delay = max(delay, min(max_age, policy.max_backoff))
    if retry_after is not None:
        # A floor: it lengthens the delay, never shortens it (not even past its own cap).
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return max(delay, 0.0)
