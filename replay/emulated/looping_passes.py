"""The passes of a schedule played once or in a loop, and which step of a pass is shown. Pure.

One pass is planned from its items' instants (:func:`plan_pass`): one
:class:`~replay.clock.ReplayPlan` under the window's ``--speed`` / ``--from`` / ``--to`` /
``--max-gap``; with ``--to``, the plan also holds a phantom event at that instant, so the
virtual clock runs on to ``--to`` and stops there, even when the last item is earlier.

A schedule (:mod:`replay.emulated.schedule` for a night's fixtures,
:mod:`replay.emulated.recorded_schedule` for a recording) lays one pass of ``duration`` wall
seconds out from an anchor. With ``loop``, the pass starts again ``pause`` wall seconds after its
end (the final state stays up that long), pass after pass, all measured from the same anchor.

A document's versions are *steps*, due at increasing wall offsets into a pass. At ``elapsed``
wall seconds after the anchor, a document shows the last step due: :meth:`LoopingPasses.shown`
says which, when that version first appeared (its ``Last-Modified``), and when the one before it
did (so that a server can tell two versions in the same second apart).

:class:`PlannedPasses` is what both schedules share: the pass's plan and its passes, and where
they stand at a moment (:class:`PassMoment`: the pass, the virtual time, finished or not).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from replay.clock import ClockError, ReplayPlan, ReplayWindow, plan_replay

__all__ = [
    "LoopingPasses",
    "PassMoment",
    "PlannedPasses",
    "StepShown",
    "check_loop_pause",
    "plan_pass",
]

Owner = TypeVar("Owner")


def check_loop_pause(loop: bool, pause: float) -> None:
    """Refuse a loop whose pause between two passes is not a positive number of seconds."""
    if loop and not (math.isfinite(pause) and pause > 0):
        raise ClockError("the pause between two passes of a loop must be positive")


def plan_pass(
    items: Sequence[tuple[datetime, Owner]], window: ReplayWindow
) -> tuple[ReplayPlan, list[tuple[float, datetime, Owner]]]:
    """One pass of ``items`` (each an instant and what it belongs to) planned under ``window``;
    and each item with its wall offset into the pass, in the order they fall due."""
    ats = [at for at, _ in items]
    if window.end is not None:
        ats.append(window.end)  # the phantom event: the clock runs on to --to
    plan = plan_replay(ats, window)
    due = [
        (offset, items[index][0], items[index][1])
        for index, offset in zip(plan.order, plan.offsets, strict=True)
        if index < len(items)
    ]
    return plan, due


@dataclass(frozen=True, slots=True)
class StepShown:
    """The step of a document shown at some moment.

    ``index`` is the step (``-1``: none is due yet); ``started`` is when that version first
    appeared and ``previous_started`` when the one before it did (``None``: there was none),
    both in wall seconds since the anchor.
    """

    index: int
    started: float
    previous_started: float | None


@dataclass(frozen=True, slots=True)
class LoopingPasses:
    """One pass of ``duration`` wall seconds, played once or (``loop``) again and again."""

    duration: float
    loop: bool = False
    pause: float = 1.0

    def __post_init__(self) -> None:
        check_loop_pause(self.loop, self.pause)

    @property
    def period(self) -> float:
        """Wall seconds between the starts of two passes of a loop."""
        return self.duration + self.pause

    def locate(self, elapsed: float) -> tuple[int, float]:
        """The pass and the wall seconds into it, ``elapsed`` seconds after the anchor."""
        elapsed = max(0.0, elapsed)
        if not self.loop:
            return 0, elapsed
        pass_index = int(elapsed // self.period)
        return pass_index, elapsed - pass_index * self.period

    def shown(self, offsets: Sequence[float], elapsed: float) -> StepShown:
        """The step shown ``elapsed`` wall seconds after the anchor, of a document whose steps
        are due at ``offsets`` (increasing) into each pass."""
        if not offsets:
            return StepShown(-1, 0.0, None)
        if len(offsets) == 1 and offsets[0] == 0:
            # Everything is there from the start: one version, the same in every pass.
            return StepShown(0, 0.0, None)
        pass_index, local = self.locate(elapsed)
        base = pass_index * self.period
        index = bisect.bisect_right(offsets, local) - 1
        started = base + (offsets[index] if index >= 0 else 0.0)
        previous: float | None
        if index >= 1:
            previous = base + offsets[index - 1]
        elif index == 0 and offsets[0] > 0:
            previous = base  # the empty version, shown from the start of the pass
        elif pass_index > 0:
            previous = base - self.period + offsets[-1]  # the end of the previous pass
        else:
            previous = None
        return StepShown(index, started, previous)


@dataclass(frozen=True, slots=True)
class PassMoment:
    """Where a schedule stands ``elapsed`` wall seconds after the anchor.

    ``pass_index`` counts the passes of a ``--loop`` from 0; ``virtual_time`` is what the pass's
    clock shows (the night's time, or the recording's); ``finished`` is true once the pass has
    reached its end (the documents stay as they are, until the next pass if looping).
    """

    elapsed: float
    pass_index: int
    virtual_time: datetime | None
    finished: bool


class PlannedPasses:
    """One planned pass, played once or (``loop``) again ``loop_pause`` wall seconds after its
    end: the clock a schedule of documents stands on."""

    def __init__(self, plan: ReplayPlan, *, loop: bool = False, loop_pause: float = 1.0) -> None:
        self.plan = plan
        self.passes = LoopingPasses(plan.duration, loop=loop, pause=loop_pause)
        self.loop = loop
        self.loop_pause = loop_pause

    @property
    def duration(self) -> float:
        """Wall seconds of one pass, from the anchor to its last item (or ``--to``)."""
        return self.plan.duration

    @property
    def period(self) -> float:
        """Wall seconds between the starts of two passes of a loop."""
        return self.passes.period

    def moment(self, elapsed: float) -> PassMoment:
        """Where the pass stands ``elapsed`` wall seconds after the anchor."""
        pass_index, local = self.passes.locate(elapsed)
        return PassMoment(
            elapsed=elapsed,
            pass_index=pass_index,
            virtual_time=self.plan.virtual_time(local),
            finished=local >= self.duration,
        )
