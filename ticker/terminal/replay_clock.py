"""A replay's virtual clock as the ticker reads it, and the time it shows now. Pure.

At each append and once a second, the replay writes the hash
:func:`ingest.store.keys.replay_clock_key` with ``virtual`` (ISO 8601), ``wall`` (Unix seconds of
that moment), ``speed`` (``"max"`` or a number), ``paused`` and ``finished`` (``"0"`` / ``"1"``).
Between two writes the ticker extrapolates ``virtual + (now - wall) * speed``, for two seconds
at most, unless the replay is paused, finished, or runs at ``max`` speed (then the virtual time
is where the replay last said).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

__all__ = ["ReplayClock"]


#: How far past the replay's last word the ticker extrapolates its virtual time (wall seconds).
MAX_EXTRAPOLATION_SECONDS: Final = 2.0


@dataclass(frozen=True, slots=True)
class ReplayClock:
    """What the replay last wrote about its clock."""

    virtual: datetime
    wall: float
    #: Virtual seconds per wall second; None for ``max`` (no waiting).
    speed: float | None
    paused: bool
    #: The replay reached its end (``--to`` or the last update): the clock stands still.
    finished: bool = False

    @classmethod
    def from_hash(cls, data: Mapping[str, str]) -> ReplayClock | None:
        """Read the hash; None if it is absent or unreadable (the stream is no replay's)."""
        try:
            virtual = datetime.fromisoformat(data["virtual"])
            wall = float(data["wall"])
            raw_speed = data.get("speed", "1")
            speed = None if raw_speed == "max" else float(raw_speed)
        except (KeyError, ValueError):
            return None
        if virtual.tzinfo is None or (speed is not None and not speed > 0):
            return None
        return cls(
            virtual=virtual,
            wall=wall,
            speed=speed,
            paused=data.get("paused") == "1",
            finished=data.get("finished") == "1",
        )

    def now(self, wall_now: float) -> datetime:
        """The virtual time at wall time ``wall_now`` (Unix seconds)."""
        if self.paused or self.finished or self.speed is None:
            return self.virtual
        elapsed = max(0.0, wall_now - self.wall)
        # The replay rewrites its clock several times a second; past a couple of seconds without
        # news it has stopped or reached its end, and the clock must not run on without it.
        elapsed = min(elapsed, MAX_EXTRAPOLATION_SECONDS)
        return self.virtual + timedelta(seconds=elapsed * self.speed)

    @property
    def speed_label(self) -> str:
        """``"x60"``, ``"x1"`` (with a multiplication sign), ``"max"``."""
        if self.speed is None:
            return "max"
        return f"\u00d7{self.speed:g}".replace(".", ",")
