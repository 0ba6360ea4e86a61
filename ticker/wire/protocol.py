"""The broadcaster's websocket protocol as data: messages built, parsed and validated. Pure.

This module never touches a socket. It turns what a client asked for (the ``/ws`` query string,
the text of a client message) into values or :class:`ProtocolError`, and turns the server's
state into message texts and ready-to-write websocket frames. ``docs/protocol.md`` describes
the protocol message by message; ``docs/protocol.schema.json`` is its JSON Schema.

Server messages, in the order a client sees them::

    hello -> snapshot -> [gap] -> update* (the backlog) -> live -> update* (live)
                          any time after hello: error, subscribed, pong
                          any time after snapshot: board, health, clock

An update's frame is encoded once (:class:`EncodedUpdate`) and the same bytes are written to
every client that wants it: a server frame is never masked and the broadcaster negotiates no
extension, so the bytes on the wire are the same for everyone.

Exceptions::

    ProtocolError       a client asked for something invalid; ``code`` is the error code sent
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Final
from urllib.parse import parse_qsl

from ingest.model.errors import SoireeError
from ingest.model.json_lines import json_line
from ingest.model.stream_ids import check_since, parse_stream_id
from ingest.model.text_cleaning import MAX_NAME_LENGTH
from ingest.model.update import KINDS, UPDATE_SCHEMA_VERSION, Update

__all__ = [
    "MAX_FILTER_VALUES",
    "PROTOCOL_VERSION",
    "SERVER_NAME",
    "SINCE_NOW",
    "SINCE_START",
    "Close",
    "ConnectRequest",
    "EncodedUpdate",
    "ErrorCode",
    "Filter",
    "Ping",
    "ProtocolError",
    "Subscribe",
    "board_message",
    "clock_message",
    "encode_text_frame",
    "error_message",
    "frames_of",
    "gap_message",
    "health_message",
    "hello_message",
    "id_key",
    "join_frames",
    "live_message",
    "parse_client_message",
    "parse_connect_query",
    "parse_filter_values",
    "pong_message",
    "snapshot_message",
    "subscribed_message",
    "too_slow_reason",
    "update_message",
]

SERVER_NAME: Final = "soiree"
#: Bumped when a message changes in a way an existing client could misread.
PROTOCOL_VERSION: Final = 1
#: At most this many kinds or sources in one filter.
MAX_FILTER_VALUES: Final = 64
#: ``since`` that asks for every retained update.
SINCE_START: Final = "0-0"
#: ``since`` that asks for nothing before now.
SINCE_NOW: Final = "$"

# The largest close reason a close frame carries (125 bytes of payload minus the code).
_MAX_REASON_BYTES: Final = 123


class Close(IntEnum):
    """Close codes the broadcaster sends (the 4000-4999 ones are the application's)."""

    GOING_AWAY = 1001
    POLICY = 1008
    TOO_BIG = 1009
    TRY_AGAIN_LATER = 1013
    UNAUTHORIZED = 4001
    TOO_SLOW = 4008
    BAD_REQUEST = 4400


class ErrorCode(StrEnum):
    """The ``code`` of an ``error`` message."""

    BAD_JSON = "bad_json"
    BAD_MESSAGE = "bad_message"
    UNKNOWN_TYPE = "unknown_type"
    READ_ONLY = "read_only"
    BAD_FILTER = "bad_filter"
    BAD_SINCE = "bad_since"
    UNKNOWN_SINCE = "unknown_since"
    UNAUTHORIZED = "unauthorized"
    TOO_MANY_MESSAGES = "too_many_messages"


class ProtocolError(SoireeError, ValueError):
    """A client asked for something invalid: ``code`` and the message are sent back to it."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- stream ids ---------------------------------------------------------------------------------


def id_key(entry_id: str) -> tuple[int, int]:
    """A stream id as a tuple that sorts as Redis orders ids (``"12-3"`` -> ``(12, 3)``)."""
    return parse_stream_id(entry_id)


def _since(raw: str) -> str:
    """Normalise a client's ``since``: ``"0-0"`` (everything), ``"$"`` (nothing) or ``ms-seq``."""
    try:
        cursor = check_since(raw)
    except ValueError as error:
        raise ProtocolError(ErrorCode.BAD_SINCE, str(error)) from None
    return SINCE_START if cursor is None else cursor


# -- filters ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filter:
    """Which updates a client wants: ``None`` for a field means every value.

    Filters are hashable: the broadcaster groups clients by filter and builds the bytes of a
    batch once per group.
    """

    kinds: frozenset[str] | None = None
    sources: frozenset[str] | None = None

    @property
    def is_everything(self) -> bool:
        """Whether the filter lets every update through."""
        return self.kinds is None and self.sources is None

    def accepts(self, kind: str, source: str) -> bool:
        """Whether an update of ``kind`` from ``source`` passes."""
        return (self.kinds is None or kind in self.kinds) and (
            self.sources is None or source in self.sources
        )

    def to_json(self) -> dict[str, list[str] | None]:
        """``{"kinds": [...] | null, "sources": [...] | null}``, values sorted."""
        return {
            "kinds": None if self.kinds is None else sorted(self.kinds),
            "sources": None if self.sources is None else sorted(self.sources),
        }


def _split(raw: str) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``; ``""`` -> ``[]``. Empty names stay (``"a,,b"`` is refused)."""
    if not raw.strip():
        return []
    return [part.strip() for part in raw.split(",")]


def parse_filter_values(raw: object, *, field: str) -> frozenset[str] | None:
    """Validate one filter field: a list of strings, a comma-separated string, or None (all).

    ``kinds`` must name known kinds. An empty list is refused (it would match nothing: a client
    that wants nothing should disconnect), and so is an empty name (``"a,,b"``, ``"count,"``);
    ``null`` or an absent field means every value. (A
    ``subscribe`` message must use a JSON list: :func:`parse_client_message` refuses strings.)
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        values: list[object] = list(_split(raw))
    elif isinstance(raw, list):
        values = raw
    else:
        raise ProtocolError(ErrorCode.BAD_FILTER, f"{field}: expected a list of strings or null")
    if not values:
        raise ProtocolError(ErrorCode.BAD_FILTER, f"{field}: empty (omit it, or null, for all)")
    if len(values) > MAX_FILTER_VALUES:
        raise ProtocolError(ErrorCode.BAD_FILTER, f"{field}: at most {MAX_FILTER_VALUES} values")
    checked: set[str] = set()
    for value in values:
        if not isinstance(value, str) or not value or len(value) > MAX_NAME_LENGTH:
            raise ProtocolError(ErrorCode.BAD_FILTER, f"{field}: values must be non-empty strings")
        if field == "kinds" and value not in KINDS:
            raise ProtocolError(
                ErrorCode.BAD_FILTER,
                f"kinds: unknown kind {value!r} (kinds: {', '.join(KINDS)})",
            )
        checked.add(value)
    return frozenset(checked)


# -- what a client asks for -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConnectRequest:
    """What a client asked for in the ``/ws`` query string.

    ``since``: ``None`` when absent (the server's recent updates), ``"0-0"`` for every retained
    update, ``"$"`` for none, else a normalised entry id ``ms-seq``.
    """

    since: str | None = None
    filter: Filter = Filter()
    token: str | None = None


def parse_connect_query(query: str) -> ConnectRequest:
    """Parse the query string of ``/ws?since=ID&kinds=a,b&sources=x&token=T``.

    Raises :class:`ProtocolError` (``bad_since`` or ``bad_filter``) for invalid values; unknown
    parameters are ignored (a cache-busting ``_=...`` must not break a client).
    """
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, value)
    since_raw = params.get("since")
    since = None if since_raw is None or since_raw == "" else _since(since_raw)
    kinds = params.get("kinds")
    sources = params.get("sources")
    return ConnectRequest(
        since=since,
        filter=Filter(
            kinds=None if kinds is None else parse_filter_values(kinds, field="kinds"),
            sources=None if sources is None else parse_filter_values(sources, field="sources"),
        ),
        token=params.get("token") or None,
    )


@dataclass(frozen=True, slots=True)
class Subscribe:
    """``{"type": "subscribe", "kinds": [...], "sources": [...]}``: replace the filter."""

    filter: Filter


@dataclass(frozen=True, slots=True)
class Ping:
    """``{"type": "ping"}``: an application-level ping (browsers cannot send ping frames)."""


ClientMessage = Subscribe | Ping

# Types a client might try in order to write: answered with read_only, not unknown_type.
_WRITE_TYPES: Final = frozenset({"update", "publish", "append", "add", "edit", "delete", "xadd"})


def parse_client_message(raw: str | bytes) -> ClientMessage:
    """Parse one message from a client; raise :class:`ProtocolError` if it is not acceptable."""
    if isinstance(raw, bytes):
        raise ProtocolError(
            ErrorCode.BAD_MESSAGE, "binary messages are not accepted: send JSON text"
        )
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ProtocolError(ErrorCode.BAD_JSON, f"not valid JSON: {error}") from None
    except RecursionError:  # "[[[[...": json's decoder recurses once per level
        raise ProtocolError(ErrorCode.BAD_JSON, "not valid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, "a message must be a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.BAD_MESSAGE, 'a message needs a "type" string')
    if kind == "subscribe":
        unknown = set(data) - {"type", "kinds", "sources"}
        if unknown:
            raise ProtocolError(
                ErrorCode.BAD_MESSAGE, f"subscribe: unknown fields {sorted(unknown)}"
            )
        for name in ("kinds", "sources"):
            if isinstance(data.get(name), str):
                raise ProtocolError(
                    ErrorCode.BAD_FILTER, f"{name}: expected a list of strings or null"
                )
        return Subscribe(
            Filter(
                kinds=parse_filter_values(data.get("kinds"), field="kinds"),
                sources=parse_filter_values(data.get("sources"), field="sources"),
            )
        )
    if kind == "ping":
        return Ping()
    if kind in _WRITE_TYPES:
        raise ProtocolError(ErrorCode.READ_ONLY, "clients are read-only: nothing can be published")
    shown = kind if len(kind) <= 40 else kind[:40] + "…"
    raise ProtocolError(
        ErrorCode.UNKNOWN_TYPE, f"unknown message type {shown!r} (known: subscribe, ping)"
    )


# -- what the server sends ------------------------------------------------------------------


def _text(message: Mapping[str, Any]) -> str:
    return json_line(message)


def hello_message(
    *,
    version: str,
    stream: str,
    night: Mapping[str, Any] | None,
    since: str | None,
    filter: Filter,
) -> str:
    """The first message of every accepted connection (docs/protocol.md, "The conversation")."""
    return _text(
        {
            "type": "hello",
            "server": SERVER_NAME,
            "version": version,
            "protocol": PROTOCOL_VERSION,
            "update_schema": UPDATE_SCHEMA_VERSION,
            "stream": stream,
            "night": night,
            "since": since,
            **filter.to_json(),
        }
    )


def snapshot_message(
    *,
    count: Update | None,
    turnout: Update | None,
    health: Mapping[str, Mapping[str, object]],
    last_id: str | None,
    board: Mapping[str, Any] | None = None,
    clock: Mapping[str, Any] | None = None,
) -> str:
    """The state at connection time: the board, per-source health, the replay's clock (null:
    the stream is no replay's), and (for clients older than the board) the update of the
    current count and of the latest turnout."""
    return _text(
        {
            "type": "snapshot",
            "count": None if count is None else count.to_json(),
            "turnout": None if turnout is None else turnout.to_json(),
            "health": {name: dict(value) for name, value in health.items()},
            "last_id": last_id,
            "board": board,
            "clock": None if clock is None else dict(clock),
        }
    )


def board_message(board: Mapping[str, Any]) -> str:
    """The night's board changed (:mod:`ticker.board.board_json` writes ``board``)."""
    return _text({"type": "board", "board": board})


def clock_message(clock: Mapping[str, Any] | None) -> str:
    """The replay's clock changed (:meth:`ticker.wire.replay_clock.ReplayClock.to_json` writes
    ``clock``); null: the stream has no replay clock any more."""
    return _text({"type": "clock", "clock": None if clock is None else dict(clock)})


def gap_message(*, since: str, first_id: str | None, last_trimmed_id: str | None) -> str:
    """Updates after ``since`` were trimmed by retention; the backlog starts at ``first_id``."""
    return _text(
        {
            "type": "gap",
            "since": since,
            "first_id": first_id,
            "last_trimmed_id": last_trimmed_id,
        }
    )


def health_message(health: Mapping[str, Mapping[str, object]]) -> str:
    """Per-source health changed (sent to live clients when it does)."""
    return _text(
        {"type": "health", "sources": {name: dict(value) for name, value in health.items()}}
    )


def live_message(last_id: str | None) -> str:
    """The backlog is over: what follows is live. Resume from ``last_id`` at the latest."""
    return _text({"type": "live", "last_id": last_id})


def update_message(update: Update) -> str:
    """``{"type": "update", ...the update's fields, id included}``."""
    return _text({"type": "update", **update.to_json()})


def error_message(code: ErrorCode, message: str) -> str:
    """An error about what the client sent or asked for."""
    return _text({"type": "error", "code": code.value, "message": message})


def subscribed_message(filter: Filter) -> str:
    """The answer to ``subscribe``: the filter now in force."""
    return _text({"type": "subscribed", **filter.to_json()})


def pong_message() -> str:
    """The answer to ``ping``."""
    return _text({"type": "pong"})


def too_slow_reason(last_id: str | None) -> str:
    """The close reason of code 4008, carrying the last id written to the client."""
    reason = f"too slow; last_id={last_id or SINCE_START}"
    return reason.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")


# -- frames -------------------------------------------------------------------------------------


def encode_text_frame(text: str) -> bytes:
    """One unfragmented, unmasked websocket text frame (RFC 6455 section 5.2) carrying ``text``.

    What a server writes, with no extension negotiated: the same bytes suit every client.
    """
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 127, length)
    return header + payload


@dataclass(frozen=True, slots=True)
class EncodedUpdate:
    """An update read from the stream, with its ``update`` message encoded once as a frame."""

    update: Update
    id: str
    key: tuple[int, int]
    kind: str
    source: str
    frame: bytes

    @classmethod
    def of(cls, update: Update) -> EncodedUpdate:
        """Encode ``update`` (which must carry its stream id)."""
        if update.id is None:
            raise ValueError("only updates read from the stream (with an id) can be sent")
        return cls(
            update=update,
            id=update.id,
            key=id_key(update.id),
            kind=update.kind.value,
            source=update.source,
            frame=encode_text_frame(update_message(update)),
        )


def join_frames(entries: Iterable[EncodedUpdate], filter: Filter) -> tuple[bytes, int]:
    """The frames of ``entries`` that ``filter`` accepts, as one bytes, and how many."""
    if filter.is_everything:
        frames = [entry.frame for entry in entries]
    else:
        frames = [entry.frame for entry in entries if filter.accepts(entry.kind, entry.source)]
    return b"".join(frames), len(frames)


def frames_of(texts: Sequence[str]) -> bytes:
    """Several messages as consecutive frames, for one write."""
    return b"".join(encode_text_frame(text) for text in texts)
