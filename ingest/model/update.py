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

Text is plain: :func:`~ingest.model.text_cleaning.clean_text` removes control characters and
terminal escape sequences, so nothing ingested can drive a terminal or smuggle markup past a reader;
rendering layers still treat it as data (textContent on the web page, ``rich.text.Text`` in the
ticker).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

import orjson

from ingest.model.compact_json import dumps_json, fast_json_ok
from ingest.model.errors import SoireeError
from ingest.model.stream_ids import is_entry_id
from ingest.model.text_cleaning import MAX_NAME_LENGTH, clean_text

__all__ = [
    "KINDS",
    "Figures",
    "Kind",
    "Op",
    "Previous",
    "Update",
    "UpdateError",
    "parse_instant",
    "parse_round",
]


class UpdateError(SoireeError, ValueError):
    """An update (or its JSON) does not satisfy the contract; the message says which field."""


class Kind(StrEnum):
    """What an update reports (``docs/design.md``, "The update")."""

    TURNOUT = "turnout"
    COUNT = "count"
    ESTIMATE = "estimate"
    SPEECH = "speech"
    RALLY = "rally"
    MILESTONE = "milestone"
    NEWS = "news"


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


def _number(value: object, *, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UpdateError(f"{field_name}: expected a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits, as JSON allows
        raise UpdateError(f"{field_name}: number out of range") from None
    if not math.isfinite(number):
        raise UpdateError(f"{field_name}: not a finite number")
    return number


def _percentage(value: object, *, field_name: str) -> float:
    number = _number(value, field_name=field_name)
    if not 0 <= number <= 100:
        raise UpdateError(f"{field_name}: a percentage must be within 0-100, got {number}")
    return number


def _count(value: object, *, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise UpdateError(f"{field_name}: expected a whole number")
    if value < 0:
        raise UpdateError(f"{field_name}: must not be negative, got {value}")
    return value


def _short_string(value: object, *, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UpdateError(f"{field_name}: expected a non-empty string")
    cleaned = clean_text(value, max_length=MAX_NAME_LENGTH)
    if "\n" in cleaned or not cleaned:
        raise UpdateError(f"{field_name}: must be a single line of text")
    return cleaned


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


def _compact_number(number: float) -> int | float:
    """58.0 -> 58 and 58.65 -> 58.65, so the JSON reads as the source wrote it."""
    return int(number) if float(number).is_integer() else number


@dataclass(frozen=True, slots=True)
class Previous:
    """The comparison point a turnout figure is given against ("contre 1 million ... sur 70%")."""

    voters: int | None = None
    stations_pct: float | None = None
    round: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object, without absent fields."""
        data: dict[str, Any] = {}
        if self.voters is not None:
            data["voters"] = self.voters
        if self.stations_pct is not None:
            data["stations_pct"] = _compact_number(self.stations_pct)
        if self.round is not None:
            data["round"] = self.round
        return data

    @classmethod
    def from_json(cls, data: object) -> Previous:
        """Parse and validate the JSON object."""
        if not isinstance(data, Mapping):
            raise UpdateError("figures.previous: expected an object")
        unknown = set(data) - {"voters", "stations_pct", "round"}
        if unknown:
            raise UpdateError(f"figures.previous: unknown fields {sorted(unknown)}")
        voters = data.get("voters")
        stations = data.get("stations_pct")
        round_ = data.get("round")
        return cls(
            voters=None if voters is None else _count(voters, field_name="previous.voters"),
            stations_pct=None
            if stations is None
            else _percentage(stations, field_name="previous.stations_pct"),
            round=None if round_ is None else parse_round(round_, field_name="previous.round"),
        )


def parse_round(value: object, *, field_name: str = "round") -> int:
    """A round number, 1 or 2; an integral float (``2.0``, as some JSON writers put it) too."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in (1, 2):
        raise UpdateError(f"{field_name}: must be 1 or 2, got {_shown(value)}")
    return int(value)


def _shown(value: object) -> str:
    """A value from a document, for an error message: scalars as written, containers by type."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "…")
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    return f"a JSON {type(value).__name__}"


@dataclass(frozen=True, slots=True)
class Figures:
    """Structured numbers stated by an update's text (``docs/design.md``, "The update").

    ``scope`` is ``"national"`` or the official name of a French département. Counts and
    estimates carry ``shares`` (candidate full name -> percentage) and ``counted_pct``; turnout
    carries ``voters`` (or ``voters_low`` / ``voters_high`` for a range), ``stations_pct``,
    ``as_of`` ("17:00"), ``change_pct`` ("hausse de 23%") and ``previous``. ``stations`` is a
    number of polling stations ("65 bureaux"). Any field may be absent.
    """

    scope: str = "national"
    shares: Mapping[str, float] = field(default_factory=dict)
    counted_pct: float | None = None
    voters: int | None = None
    voters_low: int | None = None
    voters_high: int | None = None
    stations: int | None = None
    stations_pct: float | None = None
    as_of: str | None = None
    change_pct: float | None = None
    previous: Previous | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object, without absent fields, numbers as JSON numbers."""
        data: dict[str, Any] = {"scope": self.scope}
        if self.shares:
            data["shares"] = {name: _compact_number(pct) for name, pct in self.shares.items()}
        for name in ("counted_pct", "stations_pct", "change_pct"):
            value = getattr(self, name)
            if value is not None:
                data[name] = _compact_number(value)
        for name in ("voters", "voters_low", "voters_high", "stations", "as_of"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.previous is not None:
            data["previous"] = self.previous.to_json()
        return data

    @classmethod
    def from_json(cls, data: object) -> Figures:
        """Parse and validate the JSON object."""
        if not isinstance(data, Mapping):
            raise UpdateError("figures: expected an object")
        known = {
            "scope",
            "shares",
            "counted_pct",
            "voters",
            "voters_low",
            "voters_high",
            "stations",
            "stations_pct",
            "as_of",
            "change_pct",
            "previous",
        }
        unknown = set(data) - known
        if unknown:
            raise UpdateError(f"figures: unknown fields {sorted(unknown)}")
        shares_raw = data.get("shares", {})
        if not isinstance(shares_raw, Mapping):
            raise UpdateError("figures.shares: expected an object")
        shares = {
            _short_string(name, field_name="figures.shares name"): _percentage(
                pct, field_name=f"figures.shares[{name!r}]"
            )
            for name, pct in shares_raw.items()
        }
        as_of = data.get("as_of")
        if as_of is not None and (
            not isinstance(as_of, str) or not re.fullmatch(r"[0-2]\d:[0-5]\d", as_of)
        ):
            raise UpdateError(f"figures.as_of: expected HH:MM, got {as_of!r}")
        change = data.get("change_pct")
        previous = data.get("previous")

        def optional_count(name: str) -> int | None:
            value = data.get(name)
            return None if value is None else _count(value, field_name=f"figures.{name}")

        def optional_pct(name: str) -> float | None:
            value = data.get(name)
            return None if value is None else _percentage(value, field_name=f"figures.{name}")

        figures = cls(
            scope=_short_string(data.get("scope", "national"), field_name="figures.scope"),
            shares=shares,
            counted_pct=optional_pct("counted_pct"),
            voters=optional_count("voters"),
            voters_low=optional_count("voters_low"),
            voters_high=optional_count("voters_high"),
            stations=optional_count("stations"),
            stations_pct=optional_pct("stations_pct"),
            as_of=as_of,
            change_pct=None if change is None else _number(change, field_name="change_pct"),
            previous=None if previous is None else Previous.from_json(previous),
        )
        if (
            figures.voters_low is not None
            and figures.voters_high is not None
            and figures.voters_low > figures.voters_high
        ):
            raise UpdateError("figures: voters_low is above voters_high")
        return figures


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
        if self.institute is not None:
            data["institute"] = self.institute
        return data

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
            "institute",
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
        institute = data.get("institute")
        return cls(
            id=id_,
            uid=uid,
            op=Op(op_raw),
            at=parse_instant(data["at"], field_name="at"),
            seen=parse_instant(data["seen"], field_name="seen"),
            source=_short_string(data["source"], field_name="source"),
            kind=Kind(kind_raw),
            text=clean_text(text),
            speaker=None if speaker is None else _short_string(speaker, field_name="speaker"),
            figures=None if figures is None else Figures.from_json(figures),
            round=None if round_ is None else parse_round(round_),
            institute=None
            if institute is None
            else _short_string(institute, field_name="institute"),
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
