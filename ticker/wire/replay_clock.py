"""A replay's virtual clock as the tickers and the broadcaster read it, and the time it shows
now. Pure.

At each append and once a second, the replay writes the hash
:func:`ingest.store.keys.replay_clock_key` with ``virtual`` (ISO 8601), ``wall`` (Unix seconds of
that moment), ``speed`` (``"max"`` or a number), ``paused`` and ``finished`` (``"0"`` / ``"1"``).
Between two writes the ticker extrapolates ``virtual + (now - wall) * speed``, for two seconds
at most, unless the replay is paused, finished, or runs at ``max`` speed (then the virtual time
is where the replay last said).

The broadcaster relays it to its clients without ``wall`` (their clocks are not the server's):
:meth:`ReplayClock.to_json` is the ``clock`` of ``snapshot`` and of the ``clock`` message
(``docs/protocol.md``), :meth:`ReplayClock.from_json` reads it back, ``wall`` being the time the
client received it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

__all__ = ["MAX_SPEED", "ReplayClock"]


#: The speed of a replay that does not wait between updates, as the hash and the wire say it.
MAX_SPEED: Final = "max"
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
            speed = None if raw_speed == MAX_SPEED else float(raw_speed)
        except (KeyError, ValueError):
            return None
        return cls._checked(
            virtual,
            wall,
            speed,
            paused=data.get("paused") == "1",
            finished=data.get("finished") == "1",
        )

    @classmethod
    def from_json(cls, data: object, *, wall: float) -> ReplayClock | None:
        """Read the wire form (:meth:`to_json`) received at ``wall``; None if it is not one."""
        if not isinstance(data, Mapping):
            return None
        raw_virtual, raw_speed = data.get("virtual_time"), data.get("speed")
        paused, finished = data.get("paused"), data.get("finished")
        if not isinstance(raw_virtual, str) or len(raw_virtual) > 64:
            return None
        if not isinstance(paused, bool) or not isinstance(finished, bool):
            return None
        if raw_speed == MAX_SPEED:
            speed: float | None = None
        elif isinstance(raw_speed, int | float) and not isinstance(raw_speed, bool):
            speed = float(raw_speed)
        else:
            return None
        try:
            virtual = datetime.fromisoformat(raw_virtual)
        except ValueError:
            return None
        return cls._checked(virtual, wall, speed, paused=paused, finished=finished)

    @classmethod
    def _checked(
        cls, virtual: datetime, wall: float, speed: float | None, *, paused: bool, finished: bool
    ) -> ReplayClock | None:
        if virtual.tzinfo is None or not math.isfinite(wall):
            return None
        if speed is not None and not (math.isfinite(speed) and speed > 0):
            return None
        return cls(virtual=virtual, wall=wall, speed=speed, paused=paused, finished=finished)

    def to_json(self) -> dict[str, Any]:
        """The wire form: ``virtual_time`` (ISO 8601), ``speed`` (a number or ``"max"``),
        ``paused``, ``finished``; no ``wall`` (a client's clock is not the server's)."""
        return {
            "virtual_time": self.virtual.isoformat(),
            "speed": MAX_SPEED if self.speed is None else self.speed,
            "paused": self.paused,
            "finished": self.finished,
        }

    def now(self, wall_now: float) -> datetime:
        """The virtual time at wall time ``wall_now`` (Unix seconds)."""
        if self.paused or self.finished or self.speed is None:
            return self.virtual
        elapsed = max(0.0, wall_now - self.wall)
        # The replay rewrites its clock several times a second; past a couple of seconds without
        # news it has stopped or reached its end, and the clock must not run on without it.
        elapsed = min(elapsed, MAX_EXTRAPOLATION_SECONDS)
        try:
            return self.virtual + timedelta(seconds=elapsed * self.speed)
        except OverflowError:  # a hostile hash near the end of time
            return self.virtual

    @property
    def speed_label(self) -> str:
        """``"x60"``, ``"x1"`` (with a multiplication sign), ``"max"``."""
        if self.speed is None:
            return "max"
        return f"\u00d7{self.speed:g}".replace(".", ",")
