"""The desk's state over a night: what is pinned, key, corrected, retracted, flagged. Pure.

:class:`DeskState` folds the desk's actions (:mod:`ingest.model.desk_action`, read from the
stream ``<stream>:desk`` in order) and the night's updates:

- :meth:`DeskState.shown` is an update as readers must see it: a corrected update carries the
  correction's text and figures (so the board counts the corrected figures);
- a source's own later edit of a corrected update does not undo the correction: the edit is
  kept aside and the update is **flagged** for the desk (:meth:`DeskState.note_source`), until
  the desk corrects it again or retracts it;
- :meth:`DeskState.to_json` is the state every client gets (``docs/protocol.md``, "The desk").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from ingest.model.desk_action import DeskAction, Verb, action_from_fields
from ingest.model.stream_ids import parse_stream_id
from ingest.model.update import Op, Update

__all__ = ["DeskState", "desk_state_from_json", "previous_value"]


def previous_value(verb: Verb, shown: Update | None, state: DeskState) -> dict[str, Any] | None:
    """The value an action on ``shown`` (the update as readers see it now; None: unknown)
    replaces: what the audit trail records beside the action."""
    if verb in (Verb.PIN, Verb.UNPIN):
        return {"pinned": shown is not None and shown.uid in state.pinned}
    if verb in (Verb.KEY, Verb.UNKEY):
        return {"key": shown is not None and shown.uid in state.key}
    if shown is None:
        return None
    figures = None if shown.figures is None else shown.figures.to_json()
    if verb is Verb.CORRECT:
        return {"text": shown.text, "figures": figures}
    if verb is Verb.RETRACT:
        return {"text": shown.text}
    return None


@dataclass
class DeskState:
    """See the module docstring."""

    #: Pinned uids, oldest pin first.
    pinned: dict[str, str] = field(default_factory=dict)
    key: dict[str, str] = field(default_factory=dict)
    corrected: dict[str, DeskAction] = field(default_factory=dict)
    retracted: dict[str, DeskAction] = field(default_factory=dict)
    #: uid -> the text of a source's edit that came after a correction (for the desk to see).
    flagged: dict[str, str] = field(default_factory=dict)
    #: Every action applied, in order (the audit trail as this process read it).
    actions: list[DeskAction] = field(default_factory=list)

    def apply(self, action: DeskAction) -> None:
        """One action of the desk, in the order they were made."""
        self.actions.append(action)
        uid, at = action.target, action.at.isoformat()
        if action.verb is Verb.PIN:
            self.pinned[uid] = at
        elif action.verb is Verb.UNPIN:
            self.pinned.pop(uid, None)
        elif action.verb is Verb.KEY:
            self.key[uid] = at
        elif action.verb is Verb.UNKEY:
            self.key.pop(uid, None)
        elif action.verb is Verb.CORRECT:
            self.corrected[uid] = action
            self.flagged.pop(uid, None)
        elif action.verb is Verb.RETRACT:
            self.retracted[uid] = action
            self.flagged.pop(uid, None)

    def shown(self, update: Update) -> Update:
        """``update`` as readers see it: with its correction, if the desk corrected it."""
        correction = self.corrected.get(update.uid)
        if correction is None or update.op is Op.DELETE:
            return update
        return replace(
            update,
            text=update.text if correction.text is None else correction.text,
            figures=update.figures if correction.figures is None else correction.figures,
            more_figures=update.more_figures if correction.figures is None else (),
        )

    def board_view(self, update: Update) -> Update:
        """``update`` as the board must count it: corrected, or deleted once retracted."""
        if update.uid in self.retracted:
            return replace(update, op=Op.DELETE)
        return self.shown(update)

    def note_source(self, update: Update) -> bool:
        """A source's update read from the stream: True when it is a later edit of a corrected
        update (then it is flagged; :meth:`shown` still gives the correction)."""
        correction = self.corrected.get(update.uid)
        if correction is None or update.op is not Op.EDIT:
            return False
        if correction.after is not None and (
            update.id is None or parse_stream_id(update.id) <= parse_stream_id(correction.after)
        ):
            return False
        self.flagged[update.uid] = update.text
        return True

    def to_json(self) -> dict[str, Any]:
        """The state clients get (``docs/protocol.md``, "The desk")."""
        return {
            "pinned": list(self.pinned),
            "key": list(self.key),
            "corrected": {uid: _correction_json(action) for uid, action in self.corrected.items()},
            "retracted": {
                uid: {"at": action.at.isoformat(), "who": action.who, "reason": action.reason}
                for uid, action in self.retracted.items()
            },
            "flagged": dict(self.flagged),
        }


def _uids(value: object, what: str) -> dict[str, str]:
    if not isinstance(value, list) or not all(isinstance(uid, str) for uid in value):
        raise ValueError(f"desk.{what}: expected a list of uids")
    return dict.fromkeys(value, "")


def _actions(value: object, verb: Verb) -> dict[str, DeskAction]:
    if not isinstance(value, dict):
        raise ValueError(f"desk: {verb.value}: expected an object")  # noqa: TRY004
    actions = {}
    for uid, data in value.items():
        if not isinstance(data, dict):
            raise ValueError(f"desk: {verb.value} {uid}: expected an object")  # noqa: TRY004
        fields = {"action": verb.value, "target": str(uid)}
        for name, item in data.items():
            fields[str(name)] = item if isinstance(item, str) else json.dumps(item)
        if fields.get("previous") == "null":
            del fields["previous"]
        actions[str(uid)] = action_from_fields(fields)
    return actions


def desk_state_from_json(value: object) -> DeskState:
    """The state a broadcaster sent (:meth:`DeskState.to_json`), checked; ``ValueError``."""
    if not isinstance(value, dict):
        raise ValueError("desk: expected an object")  # noqa: TRY004
    flagged = value.get("flagged", {})
    if not isinstance(flagged, dict) or not all(isinstance(t, str) for t in flagged.values()):
        raise ValueError("desk.flagged: expected an object of texts")
    return DeskState(
        pinned=_uids(value.get("pinned", []), "pinned"),
        key=_uids(value.get("key", []), "key"),
        corrected=_actions(value.get("corrected", {}), Verb.CORRECT),
        retracted=_actions(value.get("retracted", {}), Verb.RETRACT),
        flagged={str(uid): text for uid, text in flagged.items()},
    )


def _correction_json(action: DeskAction) -> dict[str, Any]:
    data = action.to_json()
    del data["action"], data["target"]
    return data
