"""When each version of the emulated sources' documents appears, in wall seconds. Pure.

One :class:`~replay.clock.ReplayPlan` covers every item of the night (liveblog entries, articles,
checkpoints, by publication instant) with the window's ``--speed`` / ``--from`` / ``--to`` /
``--max-gap``, so the emulated sources follow the very timeline ``soiree replay`` appends on.
With ``--to``, the plan also holds a phantom event at that instant, so the virtual clock runs on
to ``--to`` and stops there, even when the last item is earlier.

A document changes only when an item of its own becomes due, so its versions are *steps*: the
distinct due offsets of its items (items before ``--from`` are all due at offset 0, so they make
one step). At ``elapsed`` wall seconds after the anchor, a document shows the last step due, and
that version first appeared at the step's offset: that is its ``Last-Modified``, whoever asked.
The start of the version before it is kept too, so that the server can tell when two versions
fall in the same second (HTTP dates have no fractions) and ``If-Modified-Since`` cannot choose
between them.

With ``loop``, the night starts again ``loop_pause`` wall seconds after its end (the final state
stays up that long), pass after pass, all measured from the same anchor: the passes, and which
step of a pass is shown, are :mod:`replay.emulated.looping_passes`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from replay.clock import ClockError, ReplayPlan, ReplayWindow
from replay.emulated.documents import Document, published_instants
from replay.emulated.looping_passes import PlannedPasses, plan_pass
from replay.night_fixture import NightFixture

__all__ = ["DocumentVersion", "SourcesSchedule", "Step"]

_JUST_BEFORE: Final = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Step:
    """One version of a document in a pass: due ``offset`` wall seconds after the pass starts.

    ``shows`` is the newest publication instant among the items that become due then: the
    document rendered at ``shows`` is that version.
    """

    offset: float
    shows: datetime


@dataclass(frozen=True, slots=True)
class DocumentVersion:
    """The version of a document shown at some moment.

    ``index`` is the step shown (``-1``: none of the document's items is due yet); render the
    document at the virtual instant ``shows``. ``started`` is when the version first appeared and
    ``previous_started`` when the one before it did (``None``: there was none), both in wall
    seconds since the anchor.
    """

    index: int
    shows: datetime
    started: float
    previous_started: float | None


class SourcesSchedule(PlannedPasses):
    """The timeline of a night's emulated sources: see the module's docstring."""

    def __init__(
        self,
        plan: ReplayPlan,
        steps: Mapping[Document, tuple[Step, ...]],
        *,
        nothing_before: datetime,
        loop: bool = False,
        loop_pause: float = 1.0,
    ) -> None:
        super().__init__(plan, loop=loop, loop_pause=loop_pause)
        self._steps = {document: steps.get(document, ()) for document in Document}
        self._offsets = {
            document: [step.offset for step in self._steps[document]] for document in Document
        }
        self._nothing_before = nothing_before

    @classmethod
    def of_night(
        cls,
        fixture: NightFixture,
        window: ReplayWindow,
        *,
        loop: bool = False,
        loop_pause: float = 1.0,
    ) -> SourcesSchedule:
        """The schedule of ``fixture``'s items under ``window``."""
        items = [
            (at, document) for document in Document for at in published_instants(fixture, document)
        ]
        if not items:
            raise ClockError("the night has nothing to serve")
        nothing_before = min(at for at, _ in items) - _JUST_BEFORE
        plan, due = plan_pass(items, window)
        grouped: dict[Document, list[Step]] = {document: [] for document in Document}
        for offset, at, owner in due:
            steps = grouped[owner]
            if steps and steps[-1].offset == offset:
                steps[-1] = Step(offset, max(steps[-1].shows, at))
            else:
                steps.append(Step(offset, at))
        return cls(
            plan,
            {document: tuple(steps) for document, steps in grouped.items()},
            nothing_before=nothing_before,
            loop=loop,
            loop_pause=loop_pause,
        )

    def steps(self, document: Document) -> tuple[Step, ...]:
        """The versions of ``document`` in one pass, in order."""
        return self._steps[document]

    def version(self, document: Document, elapsed: float) -> DocumentVersion:
        """The version of ``document`` shown ``elapsed`` wall seconds after the anchor."""
        steps = self._steps[document]
        shown = self.passes.shown(self._offsets[document], elapsed)
        shows = steps[shown.index].shows if shown.index >= 0 else self._nothing_before
        return DocumentVersion(shown.index, shows, shown.started, shown.previous_started)
