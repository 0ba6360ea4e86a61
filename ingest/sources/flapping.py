"""Flapping entries, and each source's budget of changes: which changes a poll appends now. Pure.

A page whose entries flip between two texts on every poll (a CMS cache serving two versions, a
widget rewriting a line) would otherwise append one edit per entry per poll: 500 such entries
polled every 0.1 s put 100,000 entries on the stream in 30 s, and retention then trims the
night's own updates. :class:`ChangeDamper` stands between the diff and the append:

- **Flapping.** An entry *flaps* when a poll shows it with a content it had on the stream in the
  last :data:`FLAP_WINDOW` seconds, other than its current one (A -> B -> A; also present ->
  deleted -> present). For the next :data:`FLAP_WINDOW` seconds after it last flapped, a change
  of that entry is appended only once its content has been *stable for a poll* (two polls in a
  row showed it), and at most once per :data:`FLAP_WINDOW`. An entry flipping on every poll then
  appends nothing more; one that settles has its final content appended within a window. A
  first change (A -> B) is never held: edits are as fast as adds until an entry flaps.
- **The source's budget.** Changes of known entries (edits, deletes, entries back after a
  delete) spend a token bucket per source: ``capacity`` at once, then ``refill`` a second
  (:meth:`ChangeDamper.for_stream`: a tenth of the stream's retention at once, then a quarter of
  it per day), so that no source can evict the night whatever it does. A change over the budget
  waits; the oldest waiting go first. New entries and changes the extraction alone makes are
  never held.

Nothing is lost by waiting: a held change is not written to the source's state, so the next
poll's diff offers it again, with the entry's content as it is then. The damper keeps, in
memory, what it needs about the entries that changed recently (none for entries that did not).
Time is passed in (``now``, monotonic seconds); :meth:`ChangeDamper.admit` only observes, and
:meth:`ChangeDamper.commit` records what was appended once the append and the state are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "FLAP_WINDOW",
    "GONE",
    "Admission",
    "Change",
    "ChangeDamper",
    "damping_notes",
]

#: Seconds an entry's past contents are remembered, and a flapping entry stays damped.
FLAP_WINDOW: Final = 60.0
#: The content key of a deleted entry.
GONE: Final = "@gone"
#: How much of the stream's retention (``maxlen``) one source may spend at once, and per day.
BUDGET_AT_ONCE: Final = 0.1
BUDGET_PER_DAY: Final = 0.25
_DAY: Final = 86_400.0


@dataclass(frozen=True, slots=True)
class Change:
    """One change a poll found: ``before`` is the key of the entry's content on the stream
    (None: a new entry; :data:`GONE`: deleted), ``after`` the key of what the poll shows."""

    uid: str
    before: str | None
    after: str


@dataclass(frozen=True, slots=True)
class Admission:
    """What :meth:`ChangeDamper.admit` decided for one poll."""

    admitted: frozenset[str]
    held: int
    flapping: tuple[str, ...]
    #: Changes to known entries among ``admitted``, and those of flapping entries (for commit).
    spent: int = 0
    damped: tuple[Change, ...] = ()
    changes: tuple[Change, ...] = ()


@dataclass(slots=True)
class _Track:
    """What the damper remembers of one entry that changed recently."""

    recent: dict[str, float] = field(default_factory=dict)
    flapped_at: float | None = None
    damped_at: float | None = None
    pending: str | None = None
    held_since: float | None = None


class ChangeDamper:
    """Decides, poll after poll, which of a source's changes are appended now."""

    def __init__(
        self, *, capacity: float, refill: float, window: float = FLAP_WINDOW, now: float = 0.0
    ) -> None:
        self.capacity = capacity
        self.refill = refill
        self.window = window
        self._tokens = capacity
        self._tokens_at = now
        self._tracks: dict[str, _Track] = {}

    @classmethod
    def for_stream(cls, maxlen: int, *, now: float = 0.0) -> ChangeDamper:
        """The budget of one source on a stream retaining ``maxlen`` entries."""
        return cls(
            capacity=max(10.0, maxlen * BUDGET_AT_ONCE),
            refill=maxlen * BUDGET_PER_DAY / _DAY,
            now=now,
        )

    def tokens(self, now: float) -> float:
        """The budget left at ``now``."""
        return min(self.capacity, self._tokens + (now - self._tokens_at) * self.refill)

    def flapping(self, now: float) -> list[str]:
        """The entries damped at ``now`` (flapped in the last window)."""
        return sorted(uid for uid, track in self._tracks.items() if self._flaps(track, now))

    def _flaps(self, track: _Track, now: float) -> bool:
        return track.flapped_at is not None and now - track.flapped_at < self.window

    def admit(self, changes: Sequence[Change], *, now: float) -> Admission:
        """Which of a poll's changes to append now (see the module docstring)."""
        shown = {change.uid for change in changes}
        for uid, track in self._tracks.items():
            if uid not in shown:
                # Back to its content on the stream: nothing waits.
                track.pending = None
                track.held_since = None
        admitted: set[str] = set()
        damped: list[Change] = []
        candidates: list[tuple[float, int, Change, bool]] = []
        for order, change in enumerate(changes):
            if change.before is None or change.before == change.after:
                admitted.add(change.uid)  # a new entry, or a change extraction alone makes
                continue
            track = self._tracks.setdefault(change.uid, _Track())
            self._forget_old(track, now)
            if change.after in track.recent:
                track.flapped_at = now
            flapping = self._flaps(track, now)
            if flapping:
                stable = track.pending == change.after
                track.pending = change.after
                recently = track.damped_at is not None and now - track.damped_at < self.window
                if not stable or recently:
                    track.held_since = track.held_since if track.held_since is not None else now
                    continue
            waited = track.held_since if track.held_since is not None else now
            candidates.append((waited, order, change, flapping))
        budget = int(self.tokens(now))
        candidates.sort(key=lambda item: (item[0], item[1]))
        spent = 0
        for _, _, change, flapping in candidates:
            track = self._tracks[change.uid]
            if spent >= budget:
                track.held_since = track.held_since if track.held_since is not None else now
                continue
            spent += 1
            admitted.add(change.uid)
            if flapping:
                damped.append(change)
        held = len(changes) - len(admitted)
        return Admission(
            admitted=frozenset(admitted),
            held=held,
            flapping=tuple(self.flapping(now)),
            spent=spent,
            damped=tuple(damped),
            changes=tuple(c for c in changes if c.uid in admitted and c.before is not None),
        )

    def commit(self, admission: Admission, *, now: float) -> None:
        """Record that ``admission``'s changes went to the stream (and the state) at ``now``."""
        self._tokens = self.tokens(now) - admission.spent
        self._tokens_at = now
        damped = {change.uid for change in admission.damped}
        for change in admission.changes:
            if change.before == change.after:
                continue
            track = self._tracks.setdefault(change.uid, _Track())
            if change.before is not None:
                track.recent[change.before] = now
            track.recent[change.after] = now
            track.pending = None
            track.held_since = None
            if change.uid in damped:
                track.damped_at = now
        self._prune(now)

    def _forget_old(self, track: _Track, now: float) -> None:
        for key, when in list(track.recent.items()):
            if now - when >= self.window:
                del track.recent[key]

    def _prune(self, now: float) -> None:
        """Forget entries with nothing recent, nothing waiting, not flapping."""
        for uid, track in list(self._tracks.items()):
            self._forget_old(track, now)
            idle = track.pending is None and track.held_since is None
            if not track.recent and idle and not self._flaps(track, now):
                del self._tracks[uid]


def damping_notes(admission: Admission | None) -> list[str]:
    """What the damper held back, for the source's warning (empty when nothing waits)."""
    if admission is None:
        return []
    notes: list[str] = []
    if admission.flapping:
        shown = ", ".join(admission.flapping[:3])
        more = ", ..." if len(admission.flapping) > 3 else ""
        notes.append(
            f"{len(admission.flapping)} entries flapping (A -> B -> A), their changes damped"
            f" ({shown}{more})"
        )
    if admission.held:
        notes.append(f"{admission.held} changes waiting (flapping, or over the source's budget)")
    return notes
