"""The broadcaster's websocket protocol: the messages the server sends, as text. Pure.

This module never touches a socket. It turns the server's state into message texts;
``docs/protocol.md`` describes the protocol message by message; ``docs/protocol.schema.json`` is
its JSON Schema. The rest of the protocol as data lives beside it in :mod:`ticker.wire`:
:mod:`~ticker.wire.protocol_codes` (close and error codes, :class:`ProtocolError`),
:mod:`~ticker.wire.stream_positions` (``since``, ids), :mod:`~ticker.wire.client_filter` (the
filter), :mod:`~ticker.wire.client_requests` (what a client asks for, parsed and validated) and
:mod:`~ticker.wire.ws_frames` (the frames written).

Server messages, in the order a client sees them::

    hello -> snapshot -> [gap] -> update* (the backlog) -> live -> update* (live)
                          any time after hello: error, subscribed, pong
                          any time after snapshot: board, health, clock
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ingest.model.json_lines import json_line
from ingest.model.update import UPDATE_SCHEMA_VERSION, Update
from ticker.wire.client_filter import Filter
from ticker.wire.protocol_codes import ErrorCode
from ticker.wire.stream_positions import SINCE_START

__all__ = [
    "PROTOCOL_VERSION",
    "SERVER_NAME",
    "board_message",
    "clock_message",
    "desk_message",
    "error_message",
    "gap_message",
    "health_message",
    "hello_message",
    "live_message",
    "pong_message",
    "snapshot_message",
    "subscribed_message",
    "too_slow_reason",
    "update_message",
]

SERVER_NAME: Final = "soiree"
#: Bumped when a message changes in a way an existing client could misread.
PROTOCOL_VERSION: Final = 1

# The largest close reason a close frame carries (125 bytes of payload minus the code).
_MAX_REASON_BYTES: Final = 123


def _text(message: Mapping[str, Any]) -> str:
    return json_line(message)


def hello_message(
    *,
    version: str,
    stream: str,
    night: Mapping[str, Any] | None,
    since: str | None,
    filter: Filter,
    staff: bool = False,
) -> str:
    """The first message of every accepted connection (docs/protocol.md, "The conversation");
    a staff client's (the staff token) says ``"staff": true`` (the page's staff view)."""
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
            **({"staff": True} if staff else {}),
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
    desk: Mapping[str, Any] | None = None,
    embargo_held: Sequence[str] | None = None,
) -> str:
    """The state at connection time: the board, per-source health, the replay's clock (null:
    the stream is no replay's), the desk's state (:meth:`ticker.wire.desk.DeskState.to_json`;
    absent when not given), for staff clients on a night with an embargo the ids it holds now
    (``"embargo": {"held": [...]}``; absent when not given), and (for clients older than the
    board) the update of the current count and of the latest turnout."""
    message: dict[str, Any] = {
        "type": "snapshot",
        "count": None if count is None else count.to_json(),
        "turnout": None if turnout is None else turnout.to_json(),
        "health": {name: dict(value) for name, value in health.items()},
        "last_id": last_id,
        "board": board,
        "clock": None if clock is None else dict(clock),
    }
    if desk is not None:
        message["desk"] = dict(desk)
    if embargo_held is not None:
        message["embargo"] = {"held": list(embargo_held)}
    return _text(message)


def desk_message(desk: Mapping[str, Any]) -> str:
    """The desk's state changed: pins, key events, corrections, retractions, flags
    (``docs/protocol.md``, "The desk")."""
    return _text({"type": "desk", "desk": dict(desk)})


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
