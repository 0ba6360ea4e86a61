"""The update: one timestamped thing reported about the night, and its JSON form.

An update is what every part of soiree exchanges: pollers and the replay build them, the stream
store appends them, the broadcaster and the ticker show them. This module is pure: it builds,
validates, serialises and parses updates, and never does I/O.

The JSON form is the contract of ``docs/design.md`` ("The update") and of
``docs/update.schema.json``::

    {"id": "1706...-0", "uid": "liveblog:2041", "op": "add",
     "at": "2017-01-29T20:41:00+01:00", "seen": "2026-11-22T02:10:00.123456+00:00",
     "source": "liveblog", "kind": "count", "text": "...",
     "figures": {"scope": "national", "shares": {...}, "counted_pct": 60}, "round": 2}

A text that states several scopes (a national result and département results, two
départements) keeps them all: ``figures`` holds the main scope's (national when stated, else
the first scope's) and ``more_figures`` the others', in text order, one per scope (update
schema version 3, :data:`UPDATE_SCHEMA_VERSION`). ``undated`` (version 4) marks an update whose
source gave no date: its ``at`` is when soiree first saw the entry.

Text is plain: :func:`~ingest.model.text_cleaning.clean_text` removes control characters and
terminal escape sequences, so nothing ingested can drive a terminal or smuggle markup past a reader;
rendering layers still treat it as data (textContent on the web page, ``rich.text.Text`` in the
ticker).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

import orjson

from ingest.model.compact_json import dumps_json, fast_json_ok
from ingest.model.figures import Figures, Previous, UpdateError, parse_round, short_string
from ingest.model.stream_ids import is_entry_id
from ingest.model.text_cleaning import MAX_NAME_LENGTH, clean_text

__all__ = [
    "KINDS",
    "MAX_MORE_FIGURES",
    "UPDATE_SCHEMA_VERSION",
    "Figures",
    "Kind",
    "Op",
    "Previous",
    "Update",
    "UpdateError",
    "parse_instant",
    "parse_round",
]


#: The version of ``docs/update.schema.json`` this module writes and reads (2: ``more_figures``;
#: 3: the kind ``alert``, votes and seats, scopes below the département; 4: ``undated``).
UPDATE_SCHEMA_VERSION: Final = 4
#: Most scopes an update's ``more_figures`` may hold (every département, région and more).
MAX_MORE_FIGURES: Final = 200


class Kind(StrEnum):
    """What an update reports (``docs/design.md``, "The update")."""

    TURNOUT = "turnout"
    COUNT = "count"
    ESTIMATE = "estimate"
    SPEECH = "speech"
    RALLY = "rally"
    MILESTONE = "milestone"
    NEWS = "news"
    #: An alert the alerting engine fired (``docs/alerts.md``); never extracted from a text.
    ALERT = "alert"


KINDS: Final[tuple[str, ...]] = tuple(kind.value for kind in Kind)


class Op(StrEnum):
    """What happened to the thing identified by ``uid``."""

    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"


def parse_instant(value: object, *, field_name: str) -> datetime:
    """Parse an ISO 8601 timestamp that must carry an offset."""
    if not isinstance(value, str):
        raise UpdateError(f"{field_name}: expected an ISO 8601 string, got {type(value).__name__}")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as error:
        raise UpdateError(f"{field_name}: not an ISO 8601 timestamp: {value!r}") from error
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise UpdateError(f"{field_name}: timestamp has no UTC offset: {value!r}")
    return instant


# The last ``seen`` written, and its text: a poll or a replay batch stamps every update with
# the same datetime object, so most calls skip isoformat (a datetime is immutable, and the
# cache holds it, so the object compared is never another one at the same address).
_last_seen: tuple[datetime, str] = (datetime.min.replace(tzinfo=UTC), "")


def _seen_text(seen: datetime) -> str:
    global _last_seen  # noqa: PLW0603 - a one-entry cache
    cached = _last_seen
    if cached[0] is seen:
        return cached[1]
    text = seen.isoformat()
    _last_seen = (seen, text)
    return text


def _check_more_figures(figures: Figures | None, more: tuple[Figures, ...]) -> None:
    """``more_figures`` needs a main scope, at most :data:`MAX_MORE_FIGURES` distinct scopes."""
    if figures is None:
        raise UpdateError("more_figures: given without figures (the main scope)")
    if len(more) > MAX_MORE_FIGURES:
        raise UpdateError(f"more_figures: more than {MAX_MORE_FIGURES} scopes")
    seen = {figures.scope}
    for item in more:
        if item.scope in seen:
            raise UpdateError(f"more_figures: scope {item.scope!r} given twice")
        seen.add(item.scope)


@dataclass(frozen=True, slots=True)
class Update:
    """One update, as appended to the stream and sent to clients.

    ``id`` is the stream entry id, known only once the update has been read back from the
    stream (``None`` before). ``op`` is decided by the stream store at append time (the first
    time a uid is seen it is ``add``; new content for a known uid is ``edit``).
    """

    uid: str
    at: datetime
    source: str
    kind: Kind
    text: str
    seen: datetime
    op: Op = Op.ADD
    speaker: str | None = None
    figures: Figures | None = None
    round: int | None = None
    institute: str | None = None
    id: str | None = None
    #: The figures of the other scopes the text states (never the main one's scope twice).
    more_figures: tuple[Figures, ...] = ()
    #: The source gave no date it could read: ``at`` is when soiree first saw the entry
    #: (schema version 4; in JSON only when true).
    undated: bool = False
    # (content digest, stream data) once computed: both come from one build of the content.
    # Not a value of the update (no init, repr or comparison); ``replace`` starts without it.
    _encoded: tuple[str, bytes] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.uid or len(self.uid) > MAX_NAME_LENGTH:
            raise UpdateError("uid: expected a non-empty string of at most 200 characters")
        if self.at.tzinfo is None or self.seen.tzinfo is None:
            raise UpdateError("at and seen must carry a time zone")
        if self.round is not None:
            # Stored as the int it stands for (a round of 2.0 is round 2).
            object.__setattr__(self, "round", parse_round(self.round))
        if self.more_figures:
            _check_more_figures(self.figures, self.more_figures)

    # -- JSON -------------------------------------------------------------------------------

    def content_json(self) -> dict[str, Any]:
        """The fields that describe the thing reported (what an edit changes).

        Excludes ``id``, ``uid``, ``op`` and ``seen``: two polls of an unchanged entry give the
        same content, whatever time they were made.
        """
        data: dict[str, Any] = {
            "at": self.at.isoformat(),
            "source": self.source,
            "kind": self.kind.value,
            "text": self.text,
        }
        if self.speaker is not None:
            data["speaker"] = self.speaker
        if self.figures is not None:
            data["figures"] = self.figures.to_json()
        if self.round is not None:
            data["round"] = self.round
        if self.more_figures:
            data["more_figures"] = [figures.to_json() for figures in self.more_figures]
        if self.institute is not None:
            data["institute"] = self.institute
        if self.undated:
            data["undated"] = True
        return data

    def all_figures(self) -> tuple[Figures, ...]:
        """Every scope's figures: the main scope's first, then ``more_figures``."""
        if self.figures is None:
            return self.more_figures
        return (self.figures, *self.more_figures)

    def content_digest(self) -> str:
        """A stable digest of :meth:`content_json`, the key of edit detection and dedupe.

        BLAKE2b (16 bytes, hex) of the content's canonical JSON: compact, UTF-8, keys sorted.
        """
        return self._encode()[0]

    def same_content(self, seen: Update) -> bool:
        """Whether ``seen`` has this update's content (:meth:`content_digest`)."""
        return self.content_digest() == seen.content_digest()

    def stream_data(self) -> bytes:
        """The ``data`` field of this update's stream entry, as compact UTF-8 JSON.

        :meth:`to_json` without ``id``, ``uid`` and ``op`` (which the entry holds apart):
        ``seen``, then the content.
        """
        return self._encode()[1]

    def _encode(self) -> tuple[str, bytes]:
        """The digest and the stream data, from one build of the content (computed once)."""
        encoded = self._encoded
        if encoded is None:
            content = self.content_json()
            fast = fast_json_ok(content)
            canonical = dumps_json(content, sort_keys=True, fast=fast)
            digest = hashlib.blake2b(canonical, digest_size=16).hexdigest()
            data = dumps_json(
                {"seen": _seen_text(self.seen), **content}, sort_keys=False, fast=fast
            )
            encoded = (digest, data)
            # Frozen, but this is a cache of what the fields determine, not a field's value.
            object.__setattr__(self, "_encoded", encoded)
        return encoded

    def to_json(self) -> dict[str, Any]:
        """The full JSON object of ``docs/design.md``, ``id`` included when known."""
        data: dict[str, Any] = {}
        if self.id is not None:
            data["id"] = self.id
        data["uid"] = self.uid
        data["op"] = self.op.value
        data["seen"] = self.seen.isoformat()
        data.update(self.content_json())
        return data

    def to_json_text(self) -> str:
        """The JSON object as compact text (UTF-8 characters kept as they are)."""
        data = self.to_json()
        if fast_json_ok(data):
            try:
                return orjson.dumps(data).decode("utf-8")
            except TypeError:
                pass  # a lone surrogate (kept, as json keeps it) or a huge integer
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: object) -> Update:
        """Parse and validate an update's JSON object; raise :class:`UpdateError` if invalid."""
        if not isinstance(data, Mapping):
            raise UpdateError("update: expected a JSON object")
        known = {
            "id",
            "uid",
            "op",
            "at",
            "seen",
            "source",
            "kind",
            "text",
            "speaker",
            "figures",
            "round",
            "more_figures",
            "institute",
            "undated",
            "type",  # present when the object is a websocket "update" message
        }
        unknown = set(data) - known
        if unknown:
            raise UpdateError(f"update: unknown fields {sorted(unknown)}")
        for required in ("uid", "op", "at", "seen", "source", "kind", "text"):
            if required not in data:
                raise UpdateError(f"update: missing field {required!r}")
        kind_raw = data["kind"]
        if kind_raw not in KINDS:
            raise UpdateError(f"kind: must be one of {', '.join(KINDS)}, got {kind_raw!r}")
        op_raw = data["op"]
        if op_raw not in ("add", "edit", "delete"):
            raise UpdateError(f"op: must be add, edit or delete, got {op_raw!r}")
        text = data["text"]
        if not isinstance(text, str):
            raise UpdateError("text: expected a string")
        uid = data["uid"]
        if not isinstance(uid, str):
            raise UpdateError("uid: expected a string")
        id_ = data.get("id")
        if id_ is not None and (not isinstance(id_, str) or not is_entry_id(id_)):
            raise UpdateError(f"id: not a stream entry id: {id_!r}")
        speaker = data.get("speaker")
        figures = data.get("figures")
        round_ = data.get("round")
        more = data.get("more_figures", [])
        if not isinstance(more, list):
            raise UpdateError("more_figures: expected a list")
        if len(more) > MAX_MORE_FIGURES:
            raise UpdateError(f"more_figures: more than {MAX_MORE_FIGURES} scopes")
        institute = data.get("institute")
        undated = data.get("undated", False)
        if "undated" in data and undated is not True:
            raise UpdateError(f"undated: must be true when present, got {undated!r}")
        return cls(
            id=id_,
            uid=uid,
            op=Op(op_raw),
            at=parse_instant(data["at"], field_name="at"),
            seen=parse_instant(data["seen"], field_name="seen"),
            source=short_string(data["source"], field_name="source"),
            kind=Kind(kind_raw),
            text=clean_text(text),
            speaker=None if speaker is None else short_string(speaker, field_name="speaker"),
            figures=None if figures is None else Figures.from_json(figures),
            round=None if round_ is None else parse_round(round_),
            more_figures=tuple(Figures.from_json(item) for item in more),
            institute=None
            if institute is None
            else short_string(institute, field_name="institute"),
            undated=undated is True,
        )

    @classmethod
    def from_json_text(cls, raw: str | bytes) -> Update:
        """Parse an update from JSON text."""
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise UpdateError(f"update: not valid JSON: {error}") from error
        return cls.from_json(data)

    # -- helpers ------------------------------------------------------------------------------

    def with_stream(self, *, id: str, op: Op) -> Update:
        """This update as read back from the stream, with its entry id and the op decided."""
        return replace(self, id=id, op=op)

    def as_delete(self, *, seen: datetime | None = None) -> Update:
        """A ``delete`` of this update's uid (its last known content, marked deleted)."""
        return replace(self, op=Op.DELETE, id=None, seen=seen or datetime.now(UTC))
