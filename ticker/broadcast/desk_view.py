"""The broadcaster's view of the desk: its state, and what each action does to the boards.

:class:`DeskView` wraps :class:`ticker.wire.desk.DeskState` with what the broadcaster knows: the
latest content of each uid read from the stream (what a correction read later applies to) and
the uids public clients were sent. It never does I/O. The broadcaster feeds it each update read
(:meth:`DeskView.read`, which gives the update as the boards must count it) and each action of
the desk (:meth:`DeskView.act`, which gives the edit the boards must apply).

Public clients get the desk's state without ``flagged`` (a source's new text of an update under
the embargo must not reach them that way); staff clients get all of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ingest.model.desk_action import DeskAction, Verb
from ingest.model.update import Op, Update
from ticker.wire.desk import DeskState

__all__ = ["BoardEdit", "DeskView"]


@dataclass(frozen=True, slots=True)
class BoardEdit:
    """What an action changes on the boards: ``update`` to apply (an edit or a delete, without
    an id), and whether public clients' board must take it too (they were sent that uid)."""

    update: Update
    public: bool


@dataclass
class DeskView:
    """See the module docstring."""

    state: DeskState = field(default_factory=DeskState)
    _latest: dict[str, Update] = field(default_factory=dict)
    _public: set[str] = field(default_factory=set)

    def read(self, update: Update) -> tuple[Update, bool]:
        """An update read from the stream: as the boards must count it, and whether it flagged
        a correction (a source's later edit)."""
        flagged = self.state.note_source(update)
        if update.op is Op.DELETE:
            self._latest.pop(update.uid, None)
        else:
            self._latest[update.uid] = update
        return self.state.board_view(update), flagged

    def published(self, update: Update) -> Update:
        """An update sent to public clients: as their board must count it."""
        self._public.add(update.uid)
        return self.state.board_view(update)

    def act(self, action: DeskAction) -> BoardEdit | None:
        """An action of the desk, in order: the change the boards must make, if any."""
        self.state.apply(action)
        latest = self._latest.get(action.target)
        if latest is None or action.verb not in (Verb.CORRECT, Verb.RETRACT):
            return None
        view = self.state.board_view(latest)
        edit = replace(view, id=None, op=Op.DELETE if view.op is Op.DELETE else Op.EDIT)
        return BoardEdit(edit, public=action.target in self._public)

    def staff_json(self) -> dict[str, Any]:
        """The state staff clients get."""
        return self.state.to_json()

    def public_json(self) -> dict[str, Any]:
        """The state public clients get: without ``flagged``."""
        return {**self.state.to_json(), "flagged": {}}
