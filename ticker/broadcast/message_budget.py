"""How many messages a websocket client may send: a token bucket, with no clock of its own.

A client may send a burst of ``burst`` messages, then ``rate`` a second; the broadcaster closes
one that sends more (1008, ``too_many_messages``). The caller passes the time (monotonic
seconds), so the rule is tested without waiting.
"""

from __future__ import annotations

__all__ = ["MessageBudget"]


class MessageBudget:
    """The messages one client may still send now (see the module docstring)."""

    __slots__ = ("_allowance", "_checked_at", "burst", "rate")

    def __init__(self, *, burst: int, rate: float, now: float) -> None:
        self.burst = burst
        self.rate = rate
        self._allowance = float(burst)
        self._checked_at = now

    def take(self, now: float) -> bool:
        """Whether the client may send one more message at ``now`` (and count it if so)."""
        elapsed = now - self._checked_at
        self._allowance = min(float(self.burst), self._allowance + elapsed * self.rate)
        self._checked_at = now
        if self._allowance < 1:
            return False
        self._allowance -= 1
        return True
