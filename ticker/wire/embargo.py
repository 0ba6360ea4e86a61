"""The embargo gate: which updates public clients may see yet. Pure.

French law forbids publishing results or estimates before the last polling stations close;
newsrooms hold primaries to the same rule. The night file says when polls close
(:func:`ingest.model.polls_close.embargo_end`). An update of kind ``estimate`` or ``count``
that *arrives* (its ``seen``) before the embargo ends is **held** for public clients while
the embargo lasts, and shown to staff marked "sous embargo". When the embargo ends, the held
updates are **released** to public clients in stream order, each once.

An editor may end the embargo early or hold it longer, with a reason: an :class:`EmbargoAct`.
:func:`embargo_ends` folds the night's closing time and the acts, in the order they were
made, into the instant the embargo ends now (``None``: held until an editor releases it).

:class:`PublicGate` is the gate for one public view of a stream: entries go in in stream order
with the current (virtual) time, and come out in the order public clients must get them.
:func:`held_for_public` asks the same gate about one update after the fact (the staff ticker's
"sous embargo" mark).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final, Generic, Protocol, TypeVar

from ingest.model.update import Kind, Update

__all__ = [
    "EMBARGOED_KINDS",
    "EMBARGO_MARK",
    "Act",
    "EmbargoAct",
    "PublicGate",
    "act_fields",
    "act_from_fields",
    "embargo_ends",
    "held_for_public",
    "is_held",
]

#: The kinds of update the embargo holds: figures of the vote.
EMBARGOED_KINDS: Final = frozenset({Kind.ESTIMATE, Kind.COUNT})
#: What staff views show beside a held update.
EMBARGO_MARK: Final = "sous embargo"


class Act(StrEnum):
    """What an editor did to the embargo."""

    RELEASE = "release"
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class EmbargoAct:
    """An editor's release or hold: when (on the night's clock), why, who, and for a hold
    until when (``None``: until an editor releases)."""

    act: Act
    at: datetime
    reason: str
    who: str = "editor"
    until: datetime | None = None

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("an embargo act needs a reason")
        if self.at.tzinfo is None or (self.until is not None and self.until.tzinfo is None):
            raise ValueError("an embargo act's times must carry a time zone")
        if self.act is Act.RELEASE and self.until is not None:
            raise ValueError("a release has no 'until'")


def act_fields(act: EmbargoAct) -> dict[str, str]:
    """An act as the fields of its entry in the acts stream (``keys.embargo_acts_key``)."""
    fields = {"act": act.act.value, "at": act.at.isoformat(), "reason": act.reason, "who": act.who}
    if act.until is not None:
        fields["until"] = act.until.isoformat()
    return fields


def act_from_fields(fields: Mapping[str, str]) -> EmbargoAct:
    """An act read back; ``ValueError`` (one line) for an entry that is not one."""
    try:
        until = fields.get("until")
        return EmbargoAct(
            Act(fields["act"]),
            at=datetime.fromisoformat(fields["at"]),
            reason=fields["reason"][:500],
            who=fields.get("who", "editor")[:100],
            until=None if until is None else datetime.fromisoformat(until),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"not an embargo act: missing {error}") from None


#: The night's closing time, when the night file gives none: nothing is held.
_NO_EMBARGO: Final = None


def embargo_ends(
    closes: datetime | None, acts: Iterable[EmbargoAct]
) -> tuple[bool, datetime | None]:
    """Whether there is an embargo at all, and the instant it ends (``None``: held until an
    editor releases it).

    Acts apply in the order given: a release ends the embargo when it was made; a hold moves
    the end to its ``until`` (or indefinitely), also after an earlier release (what was public
    stays public; what arrives from then on is held).
    """
    active = closes is not _NO_EMBARGO
    end = closes
    for act in acts:
        active = True
        end = act.at if act.act is Act.RELEASE else act.until
    return active, end


def is_held(update: Update, now: datetime, *, active: bool, end: datetime | None) -> bool:
    """Whether public clients must not see ``update`` at ``now`` (see the module docstring)."""
    if not active or update.kind not in EMBARGOED_KINDS:
        return False
    if end is None:
        return True
    return update.seen < end and now < end


class _Entry(Protocol):
    @property
    def update(self) -> Update: ...


E = TypeVar("E", bound=_Entry)


@dataclass
class PublicGate(Generic[E]):
    """The public view of one stream (see the module docstring).

    :meth:`admit` takes each entry read, in stream order, and returns what public clients get
    now; a held entry is kept. :meth:`tick` (each time the clock moves, and after each act)
    returns the held entries the embargo no longer holds, in stream order, each once.
    """

    closes: datetime | None
    acts: list[EmbargoAct] = field(default_factory=list)
    held: list[E] = field(default_factory=list)

    @property
    def ends(self) -> tuple[bool, datetime | None]:
        """Whether an embargo applies, and when it ends (see :func:`embargo_ends`)."""
        return embargo_ends(self.closes, self.acts)

    def admit(self, entry: E, now: datetime) -> list[E]:
        """What public clients get now that ``entry`` was read: the held entries released by
        now, then ``entry`` unless it is held (then it is kept for later, in stream order)."""
        released = self.tick(now)
        active, end = self.ends
        if is_held(entry.update, now, active=active, end=end):
            self.held.append(entry)
            return released
        return [*released, entry]

    def act(self, act: EmbargoAct) -> None:
        """An editor's release or hold (then :meth:`tick`)."""
        self.acts.append(act)

    def _over(self, now: datetime) -> bool:
        active, end = self.ends
        return not active or (end is not None and now >= end)

    def tick(self, now: datetime) -> list[E]:
        """The held entries public clients get now (all of them once the embargo is over)."""
        if not self.held or not self._over(now):
            return []
        released, self.held = self.held, []
        return released


@dataclass(frozen=True, slots=True)
class _Alone:
    update: Update


def held_for_public(
    update: Update, now: datetime, closes: datetime | None, acts: Sequence[EmbargoAct]
) -> bool:
    """Whether public clients still lack ``update`` at ``now``: what a :class:`PublicGate` would
    still hold had it been given the update when it arrived (its ``seen``) and each act at its
    time, in the order the acts were made (those made by ``now``). Staff views mark it "sous
    embargo": an editor's early release drops the mark, a hold past closing time keeps it."""
    gate: PublicGate[_Alone] = PublicGate(closes=closes)
    later = list(acts)
    while later and later[0].at <= update.seen:
        gate.act(later.pop(0))
    if gate.admit(_Alone(update), update.seen):
        return False
    for act in later:
        if act.at > now:
            break
        if gate.tick(act.at):  # the embargo ran out before this act
            return False
        gate.act(act)
        if gate.tick(act.at):
            return False
    return not gate.tick(now)
