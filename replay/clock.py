"""The virtual clock of a replay: when each event of the night is due in wall time.

The plan is pure (:func:`plan_replay`): event k is due ``(virtual_k - virtual_start) / speed``
seconds after the anchor, where virtual time runs from ``--from`` (or the first event) and every
idle gap longer than ``--max-gap`` is cut down to it. Events before ``--from`` are due at once
(the state of the night when the replay starts: the sources already showed them), events after
``--to`` are left out.

:class:`AnchoredClock` waits for those offsets against one absolute anchor taken from a monotonic
clock, so that the error of one wait never carries into the next: a late event goes out at once
and the next one is still due at its own time. Pausing moves the anchor by the time spent paused.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ingest.model.errors import SoireeError

__all__ = [
    "AnchoredClock",
    "ClockError",
    "Lateness",
    "ReplayPlan",
    "ReplayWindow",
    "parse_speed",
    "plan_replay",
    "speed_in_words",
    "speed_value",
]

# How long before its due time the clock stops sleeping and spins on the event loop: asyncio's
# timers fire up to about a millisecond late, and the target is a p99 lateness of 2 ms.
SPIN_MARGIN_SECONDS = 0.0015


class ClockError(SoireeError, ValueError):
    """A clock option is out of range (speed, window, gap)."""


def parse_speed(raw: str) -> float:
    """Parse ``--speed``: a positive number, or ``max`` for no waiting (returned as ``inf``)."""
    if raw.strip().lower() == "max":
        return math.inf
    try:
        speed = float(raw)
    except ValueError as error:
        raise ClockError(f"--speed must be a positive number or 'max', got {raw!r}") from error
    if not math.isfinite(speed) or speed <= 0:
        raise ClockError(f"--speed must be a positive number or 'max', got {raw!r}")
    return speed


def speed_in_words(speed: float) -> str:
    """How a command says ``speed``: ``at 60x``, or ``as fast as possible`` for ``max``."""
    return "as fast as possible" if math.isinf(speed) else f"at {speed:g}x"


def speed_value(speed: float) -> float | str:
    """``speed`` in a JSON document (``/healthz``): the number, or ``"max"``."""
    return "max" if math.isinf(speed) else speed


@dataclass(frozen=True, slots=True)
class ReplayWindow:
    """The options that shape a replay's timeline (all optional)."""

    speed: float = 1.0
    start: datetime | None = None
    end: datetime | None = None
    max_gap: timedelta | None = None

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ClockError("speed must be positive")
        if self.max_gap is not None and self.max_gap <= timedelta(0):
            raise ClockError("--max-gap must be positive")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ClockError("--to is before --from")


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """Which events are replayed (indices into the input, in order) and when, in wall seconds.

    ``virtual_start`` is the virtual instant at wall offset 0; ``points`` pairs each wall offset
    with the virtual instant it stands for, so the clock can be shown between events.
    """

    order: tuple[int, ...]
    offsets: tuple[float, ...]
    virtual_start: datetime | None
    points: tuple[tuple[float, datetime], ...] = field(default=())

    @property
    def duration(self) -> float:
        """Wall seconds from the anchor to the last event."""
        return self.offsets[-1] if self.offsets else 0.0

    def virtual_time(self, offset: float) -> datetime | None:
        """The virtual instant shown ``offset`` wall seconds after the anchor.

        Linear between two planned points; a capped gap is crossed faster, never skipped.
        """
        if not self.points:
            return self.virtual_start
        walls = [wall for wall, _ in self.points]
        index = bisect.bisect_right(walls, offset)
        if index == 0:
            return self.points[0][1]
        if index >= len(self.points):
            return self.points[-1][1]
        (wall_a, virtual_a), (wall_b, virtual_b) = self.points[index - 1], self.points[index]
        if wall_b <= wall_a:
            return virtual_b
        fraction = (offset - wall_a) / (wall_b - wall_a)
        return virtual_a + (virtual_b - virtual_a) * fraction


def plan_replay(ats: Sequence[datetime], window: ReplayWindow) -> ReplayPlan:
    """Plan a replay of events at instants ``ats`` (any order; ties keep input order)."""
    order = sorted(range(len(ats)), key=lambda index: ats[index])
    if window.end is not None:
        order = [index for index in order if ats[index] <= window.end]
    if not order:
        return ReplayPlan(order=(), offsets=(), virtual_start=window.start)
    virtual_start = window.start or ats[order[0]]
    offsets: list[float] = []
    points: list[tuple[float, datetime]] = [(0.0, virtual_start)]
    elapsed = 0.0  # virtual seconds since virtual_start, gaps capped
    previous = virtual_start
    for index in order:
        at = ats[index]
        if at > previous:
            gap = (at - previous).total_seconds()
            if window.max_gap is not None:
                gap = min(gap, window.max_gap.total_seconds())
            elapsed += gap
            previous = at
            points.append((_wall(elapsed, window.speed), at))
        offsets.append(_wall(elapsed, window.speed))
    return ReplayPlan(
        order=tuple(order),
        offsets=tuple(offsets),
        virtual_start=virtual_start,
        points=tuple(points),
    )


def _wall(virtual_seconds: float, speed: float) -> float:
    return 0.0 if math.isinf(speed) else virtual_seconds / speed


@dataclass(slots=True)
class Lateness:
    """How late each event went out, in seconds (0 when on time or early)."""

    samples: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        """Record one event's lateness."""
        self.samples.append(max(0.0, seconds))

    def percentile(self, fraction: float) -> float:
        """The lateness below which ``fraction`` of the events went out (nearest rank)."""
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        rank = max(0, math.ceil(fraction * len(ordered)) - 1)
        return ordered[rank]

    @property
    def p50(self) -> float:
        """Median lateness."""
        return statistics.median(self.samples) if self.samples else 0.0

    @property
    def p99(self) -> float:
        """99th percentile lateness."""
        return self.percentile(0.99)

    @property
    def worst(self) -> float:
        """Largest lateness."""
        return max(self.samples, default=0.0)


class AnchoredClock:
    """Waits for wall offsets measured from one anchor, with pause and resume.

    ``now`` is injectable (a monotonic clock in seconds) so that tests can drive time.
    """

    def __init__(self, *, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._anchor = now()
        self._paused_at: float | None = None
        self._resumed = asyncio.Event()
        self._resumed.set()

    def reset(self) -> None:
        """Take a new anchor (the start of a new loop of the replay)."""
        self._anchor = self._now()
        if self._paused_at is not None:
            self._paused_at = self._anchor

    @property
    def paused(self) -> bool:
        """Whether the clock is paused."""
        return self._paused_at is not None

    def elapsed(self) -> float:
        """Wall seconds of replay since the anchor, not counting time paused."""
        now = self._paused_at if self._paused_at is not None else self._now()
        return now - self._anchor

    def pause(self) -> None:
        """Stop the clock: nothing becomes due until :meth:`resume`."""
        if self._paused_at is None:
            self._paused_at = self._now()
            self._resumed.clear()

    def resume(self) -> None:
        """Restart the clock where it stopped: the anchor moves by the time spent paused."""
        if self._paused_at is not None:
            self._anchor += self._now() - self._paused_at
            self._paused_at = None
            self._resumed.set()

    async def wait_for(self, offset: float) -> float:
        """Wait until ``offset`` seconds after the anchor; return how late we are (seconds)."""
        while True:
            await self._resumed.wait()
            remaining = self._anchor + offset - self._now()
            if remaining <= 0:
                if self.paused:
                    continue
                return -remaining
            if remaining > SPIN_MARGIN_SECONDS:
                # Sleep in bounded steps so that a pause is noticed within half a second.
                await asyncio.sleep(min(remaining - SPIN_MARGIN_SECONDS, 0.5))
            else:
                await asyncio.sleep(0)
