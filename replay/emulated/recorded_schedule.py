"""When each recorded version of each document is served again, in wall seconds. Pure.

A recording (:mod:`ingest.model.recording`) holds, per document (one URL), the bodies the
pollers received. A *version* is a body that differs from the one before it; it is due when the
request that first got it was sent. One :class:`~replay.clock.ReplayPlan` covers every version of
every document with the window's ``--speed`` / ``--from`` / ``--to`` / ``--max-gap``, exactly as
:mod:`replay.emulated.schedule` does for a night's fixtures (versions before ``--from`` are due at
once; with ``--to``, a phantom event makes the clock run on to it).

At ``elapsed`` wall seconds after the anchor, a document shows its last version due; that version
first appeared at its step's offset (its ``Last-Modified``), and the one before it at the offset
before (so a server can tell two versions in the same second apart). With ``loop``, the recording
starts again ``loop_pause`` wall seconds after its end (:mod:`replay.emulated.looping_passes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ingest.model.recording import RecordedResponse
from replay.clock import ClockError, ReplayWindow
from replay.emulated.looping_passes import PlannedPasses, check_loop_pause, plan_pass

__all__ = ["RecordedVersion", "RecordingSchedule", "versions_of"]


@dataclass(frozen=True, slots=True)
class RecordedVersion:
    """The version of a document shown at some moment (``response`` None: none is due yet).

    ``index`` counts the document's versions from 0 (``-1``: none); ``started`` and
    ``previous_started`` are wall seconds since the anchor, as in
    :class:`replay.emulated.schedule.DocumentVersion`.
    """

    index: int
    response: RecordedResponse | None
    started: float
    previous_started: float | None


def versions_of(responses: Iterable[RecordedResponse]) -> dict[str, list[RecordedResponse]]:
    """Each document's versions (by URL, in time order): the bodies that differ from the last."""
    versions: dict[str, list[RecordedResponse]] = {}
    for response in sorted(responses, key=lambda r: r.at):
        if response.body is None:
            continue  # 304s, errors and failures change nothing
        shown = versions.setdefault(response.url, [])
        if not shown or shown[-1].body != response.body:
            shown.append(response)
    return versions


class RecordingSchedule(PlannedPasses):
    """The timeline of a re-served recording: see the module's docstring."""

    def __init__(
        self,
        versions: Mapping[str, list[RecordedResponse]],
        window: ReplayWindow,
        *,
        loop: bool = False,
        loop_pause: float = 1.0,
    ) -> None:
        check_loop_pause(loop, loop_pause)
        items = [
            (response.at, (url, index))
            for url, shown in versions.items()
            for index, response in enumerate(shown)
        ]
        if not items:
            raise ClockError("the recording holds no body to serve")
        plan, due = plan_pass(items, window)
        super().__init__(plan, loop=loop, loop_pause=loop_pause)
        self.window = window
        # Per document: the wall offset of each version due, and which version it is.
        self._offsets: dict[str, list[float]] = {url: [] for url in versions}
        self._indices: dict[str, list[int]] = {url: [] for url in versions}
        for offset, _, (url, index) in due:
            offsets, indices = self._offsets[url], self._indices[url]
            if offsets and offsets[-1] == offset:
                indices[-1] = index  # two versions due at once: the later one is shown
            else:
                offsets.append(offset)
                indices.append(index)
        self._versions = {url: list(shown) for url, shown in versions.items()}

    @property
    def documents(self) -> list[str]:
        """The URLs of the documents served."""
        return list(self._versions)

    def steps(self, url: str) -> int:
        """How many versions of ``url`` one pass serves."""
        return len(self._offsets.get(url, []))

    def version(self, url: str, elapsed: float) -> RecordedVersion:
        """The version of ``url`` shown ``elapsed`` wall seconds after the anchor."""
        shown = self.passes.shown(self._offsets.get(url, []), elapsed)
        if shown.index < 0:
            return RecordedVersion(-1, None, shown.started, shown.previous_started)
        response = self._versions[url][self._indices[url][shown.index]]
        return RecordedVersion(shown.index, response, shown.started, shown.previous_started)
