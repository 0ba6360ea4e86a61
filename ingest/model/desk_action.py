"""The desk's actions on the night's updates, and their entries in the audit trail. Pure.

An editor pins or unpins an update, marks it as a key event (or unmarks it), corrects it (new
text and/or figures, with a reason), retracts it (with a reason), or writes an update of the
staff's own. Each act is a :class:`DeskAction`: who, when (the night's clock), which update
(its ``uid``: a source's later edits keep it), what it changes and the value it had before.
Actions are entries of the stream :func:`ingest.store.keys.desk_key` beside the night's stream,
never of the night's stream itself (whose entries are updates only, ``docs/update.schema.json``):
the same side-channel design as the embargo's acts. That stream *is* the audit trail
(``soiree dump --audit``). See ``docs/protocol.md``, "The desk".

Everything read back from Redis or an HTTP request is checked here: :func:`action_from_fields`
raises ``ValueError`` (one line) for anything that is not an action.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from ingest.model.figures import Figures, UpdateError
from ingest.model.stream_ids import is_entry_id

__all__ = [
    "MAX_DESK_TEXT",
    "MAX_REASON",
    "MAX_WHO",
    "DeskAction",
    "Verb",
    "action_fields",
    "action_from_fields",
    "checked_line",
]

#: Longest reason, author name and text an action may carry.
MAX_REASON: Final = 500
MAX_WHO: Final = 100
MAX_DESK_TEXT: Final = 5000
_MAX_UID: Final = 300


class Verb(StrEnum):
    """What the desk did."""

    PIN = "pin"
    UNPIN = "unpin"
    KEY = "key"
    UNKEY = "unkey"
    CORRECT = "correct"
    RETRACT = "retract"
    WRITE = "write"


#: The verbs that require a reason.
_NEEDS_REASON: Final = frozenset({Verb.CORRECT, Verb.RETRACT})


def checked_line(value: str, *, what: str, limit: int, empty: bool = False) -> str:
    """``value`` on one line (runs of white space made one space), printable, at most
    ``limit`` characters; ``ValueError`` otherwise (and when empty, unless ``empty``)."""
    line = " ".join(value.split())
    if not line and not empty:
        raise ValueError(f"{what}: required")
    if len(line) > limit:
        raise ValueError(f"{what}: at most {limit} characters")
    if not line.isprintable():
        raise ValueError(f"{what}: printable characters only")
    return line


@dataclass(frozen=True, slots=True)
class DeskAction:
    """One act of the desk (see the module docstring).

    ``target`` is the uid acted on (for ``write``, the uid of the update written). ``text`` and
    ``figures`` are the new value (``correct``, ``write``); ``previous`` the value before
    (``correct``: ``{"text": ..., "figures": ...}``; ``pin``/``key``...: ``{"pinned": bool}``
    or ``{"key": bool}``; ``retract``: ``{"text": ...}``), or None when nothing was known.
    """

    verb: Verb
    at: datetime
    who: str
    target: str
    reason: str = ""
    text: str | None = None
    figures: Figures | None = None
    previous: Mapping[str, Any] | None = None
    #: The id of the night stream's last entry when the action was made: a source's edit
    #: after it is a *later* edit (None: unknown, every later-read edit counts).
    after: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("at: the time of an action must carry a time zone")
        checked_line(self.who, what="who", limit=MAX_WHO)
        checked_line(self.target, what="target", limit=_MAX_UID)
        checked_line(self.reason, what="reason", limit=MAX_REASON, empty=True)
        if self.verb in _NEEDS_REASON and not self.reason.strip():
            raise ValueError(f"reason: required to {self.verb.value}")
        if self.text is not None:
            if not self.text.strip() or len(self.text) > MAX_DESK_TEXT:
                raise ValueError(f"text: 1 to {MAX_DESK_TEXT} characters")
            if any(not c.isprintable() and c not in "\n" for c in self.text):
                raise ValueError("text: printable characters only")
        if self.verb is Verb.CORRECT and self.text is None and self.figures is None:
            raise ValueError("correct: give a new text, new figures, or both")
        if self.verb is Verb.WRITE and self.text is None:
            raise ValueError("write: a text is required")
        if self.verb not in (Verb.CORRECT, Verb.WRITE) and (
            self.text is not None or self.figures is not None
        ):
            raise ValueError(f"{self.verb.value}: takes no text or figures")

    def to_json(self) -> dict[str, Any]:
        """The action as JSON (the protocol's and ``soiree dump --audit``'s form)."""
        data: dict[str, Any] = {
            "action": self.verb.value,
            "at": self.at.isoformat(),
            "who": self.who,
            "target": self.target,
        }
        if self.reason:
            data["reason"] = self.reason
        if self.text is not None:
            data["text"] = self.text
        if self.figures is not None:
            data["figures"] = self.figures.to_json()
        data["previous"] = None if self.previous is None else dict(self.previous)
        if self.after is not None:
            data["after"] = self.after
        return data


def action_fields(action: DeskAction) -> dict[str, str]:
    """An action as the fields of its entry in the desk stream."""
    fields = {
        "action": action.verb.value,
        "at": action.at.isoformat(),
        "who": action.who,
        "target": action.target,
        "reason": action.reason,
    }
    if action.text is not None:
        fields["text"] = action.text
    if action.figures is not None:
        fields["figures"] = json.dumps(action.figures.to_json(), ensure_ascii=False)
    if action.previous is not None:
        fields["previous"] = json.dumps(dict(action.previous), ensure_ascii=False)
    if action.after is not None:
        fields["after"] = action.after
    return fields


def _json_object(raw: str | None, what: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValueError(f"{what}: not JSON") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what}: expected a JSON object")  # noqa: TRY004 (one error type)
    return value


def _entry_id(raw: str | None) -> str | None:
    if raw is not None and not is_entry_id(raw):
        raise ValueError("after: not a stream entry id")
    return raw


def action_from_fields(fields: Mapping[str, str]) -> DeskAction:
    """An action read back (from the desk stream, or a request's form); ``ValueError`` (one
    line) for anything that is not one."""
    unknown = set(fields) - {
        "action",
        "at",
        "who",
        "target",
        "reason",
        "text",
        "figures",
        "previous",
        "after",
    }
    if unknown:
        raise ValueError(f"unknown field {sorted(unknown)[0]!r}")
    try:
        verb = Verb(fields["action"])
    except KeyError:
        raise ValueError("action: required") from None
    except ValueError:
        choices = ", ".join(verb.value for verb in Verb)
        raise ValueError(f"action: one of {choices}") from None
    try:
        at = datetime.fromisoformat(fields["at"])
        figures_json = _json_object(fields.get("figures"), "figures")
        figures = None if figures_json is None else Figures.from_json(figures_json)
        return DeskAction(
            verb,
            at=at,
            who=fields["who"],
            target=fields["target"],
            reason=fields.get("reason", ""),
            text=fields.get("text"),
            figures=figures,
            previous=_json_object(fields.get("previous"), "previous"),
            after=_entry_id(fields.get("after")),
        )
    except KeyError as error:
        raise ValueError(f"{error.args[0]}: required") from None
    except UpdateError as error:
        raise ValueError(f"figures: {error}") from None
