"""Tests for replay.emulated.looping_passes: the passes of a looping schedule, the step shown."""

from __future__ import annotations

import math

import pytest

from replay.clock import ClockError
from replay.emulated.looping_passes import LoopingPasses, StepShown


def test_once_never_starts_again() -> None:
    """Without loop, every moment is in pass 0, and before the anchor is the anchor."""
    passes = LoopingPasses(10.0)
    assert passes.locate(-5.0) == (0, 0.0)
    assert passes.locate(25.0) == (0, 25.0)


def test_a_loop_starts_again_after_its_pause() -> None:
    """With loop, pass n starts at n * (duration + pause)."""
    passes = LoopingPasses(10.0, loop=True, pause=2.0)
    assert passes.period == 12.0
    assert passes.locate(11.0) == (0, 11.0)  # the pause after the first pass
    assert passes.locate(12.0) == (1, 0.0)
    assert passes.locate(30.0) == (2, 6.0)


def test_the_step_shown_and_when_the_one_before_started() -> None:
    """The last step due is shown; started and previous_started count from the anchor."""
    passes = LoopingPasses(10.0, loop=True, pause=2.0)
    offsets = [3.0, 7.0]
    assert passes.shown(offsets, 1.0) == StepShown(-1, 0.0, None)
    assert passes.shown(offsets, 4.0) == StepShown(0, 3.0, 0.0)  # after the empty version
    assert passes.shown(offsets, 8.0) == StepShown(1, 7.0, 3.0)
    # Pass 1, before its first step: the empty version again, after the end of pass 0.
    assert passes.shown(offsets, 13.0) == StepShown(-1, 12.0, 7.0)
    assert passes.shown(offsets, 20.0) == StepShown(1, 19.0, 15.0)


def test_a_document_with_no_steps_or_one_from_the_start() -> None:
    """No steps: nothing shown; one step due at once: the same version in every pass."""
    passes = LoopingPasses(10.0, loop=True, pause=2.0)
    assert passes.shown([], 50.0) == StepShown(-1, 0.0, None)
    assert passes.shown([0.0], 50.0) == StepShown(0, 0.0, None)


@pytest.mark.parametrize("pause", [0.0, -1.0, math.inf, math.nan])
def test_a_loop_needs_a_positive_pause(pause: float) -> None:
    """A pause that is not a positive number of seconds is refused, for a loop only."""
    with pytest.raises(ClockError, match="must be positive"):
        LoopingPasses(10.0, loop=True, pause=pause)
    assert LoopingPasses(10.0, loop=False, pause=pause).locate(3.0) == (0, 3.0)
