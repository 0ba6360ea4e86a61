"""The ticker's side of the broadcaster protocol: the URL it connects to, the messages it reads.

Pure, like :mod:`ticker.wire.protocol` (the server's side): :func:`relay_url` builds
``ws://host:port/ws?since=ID&kinds=a,b&sources=x``, :func:`parse_server_message` turns one
message's text into a typed value, or :class:`RelayMessageError`. ``docs/protocol.md``
describes the messages; the ticker reads ``hello``, ``snapshot``, ``board``, ``desk``, ``clock``,
``gap``, ``update``, ``live``, ``health`` and ``error``, and ignores the others (``subscribed``,
``pong``, and any a later protocol version adds).

Everything here came over the network: updates are validated (:meth:`Update.from_json`) and
every string is shown through :mod:`ticker.terminal.safe_text`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.model.errors import SoireeError
from ingest.model.stream_ids import check_since
from ingest.model.update import Update, UpdateError
from ticker.board.board_json import BoardError, board_from_json
from ticker.board.board_values import Board
from ticker.wire.client_filter import Filter
from ticker.wire.desk import DeskState, desk_state_from_json
from ticker.wire.replay_clock import ReplayClock

__all__ = [
    "BoardMessage",
    "ClockMessage",
    "DeskMessage",
    "Gap",
    "Health",
    "Hello",
    "Ignored",
    "Live",
    "RelayMessageError",
    "ServerError",
    "ServerMessage",
    "Snapshot",
    "UpdateMessage",
    "describe_url",
    "parse_server_message",
    "relay_url",
]


class RelayMessageError(SoireeError, ValueError):
    """A message from the server that the ticker cannot read (not JSON, wrong shape)."""


@dataclass(frozen=True, slots=True)
class Hello:
    """The first message: the night the server relays, if it says."""

    stream: str | None = None
    title: str | None = None
    night_date: date | None = None
    round: int | None = None
    timezone: ZoneInfo | None = None
    candidates: tuple[str, ...] = ()
    #: The night's lists: (name, head, label), from ``night.lists`` (absent: older servers).
    lists: tuple[tuple[str, str | None, str | None], ...] = ()
    #: The night's candidates' colours: (name, colour as sent), from ``night.lists``; the view
    #: keeps only hex colours (``TickerView.set_colours``).
    colours: tuple[tuple[str, str], ...] = ()
    #: The seats at stake (``night.seats.total``), or None.
    seats_total: int | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state at connection time: latest count and turnout, per-source health."""

    count: Update | None = None
    turnout: Update | None = None
    health: dict[str, dict[str, object]] = field(default_factory=dict)
    last_id: str | None = None
    #: The night's board (None from a server older than the ``board`` message).
    board: Board | None = None
    #: The replay's clock (None: the stream is no replay's, or the server is older than it).
    #: Its ``wall`` is 0: the receiver sets the time it got it (:meth:`ClockMessage.clock`).
    clock: ReplayClock | None = None
    #: The desk's state (None from a server older than the desk).
    desk: DeskState | None = None
    #: To a staff client on a night with an embargo: the ids held for the public now
    #: (``embargo.held``); None: not said (a public client, no embargo, an older server).
    embargo_held: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class DeskMessage:
    """The desk's state changed (``docs/protocol.md``, "The desk")."""

    desk: DeskState


@dataclass(frozen=True, slots=True)
class BoardMessage:
    """The night's board changed: show this one."""

    board: Board


@dataclass(frozen=True, slots=True)
class ClockMessage:
    """The replay's clock changed (None: the stream has no replay clock any more).

    The server sends no wall time (its clock is not the ticker's): ``clock.wall`` is 0 here,
    and the ticker replaces it with the time it received the message.
    """

    clock: ReplayClock | None


@dataclass(frozen=True, slots=True)
class Gap:
    """Updates after ``since`` were trimmed by retention before they could be sent."""

    since: str | None
    first_id: str | None


@dataclass(frozen=True, slots=True)
class UpdateMessage:
    """One update (from the backlog or live); ``embargoed``: a staff client's, held for the
    public now (``docs/protocol.md``, "The embargo")."""

    update: Update
    embargoed: bool = False


@dataclass(frozen=True, slots=True)
class Live:
    """The backlog is over; resume from ``last_id`` at the latest."""

    last_id: str | None


@dataclass(frozen=True, slots=True)
class Health:
    """Per-source health changed."""

    sources: dict[str, dict[str, object]]


@dataclass(frozen=True, slots=True)
class ServerError:
    """The server objects to something the ticker asked for."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Ignored:
    """A message the ticker has no use for (``pong``, ``subscribed``, a newer type)."""

    type: str


ServerMessage = (
    Hello
    | Snapshot
    | BoardMessage
    | DeskMessage
    | ClockMessage
    | Gap
    | UpdateMessage
    | Live
    | Health
    | ServerError
    | Ignored
)


_EVERYTHING: Final = Filter()
#: A stream entry id as the server sends it (``ms-seq``).
_STREAM_ID: Final = re.compile(r"[0-9]{1,20}-[0-9]{1,20}\Z")


# -- the URL ----------------------------------------------------------------------------------


def relay_url(base: str, *, since: str | None, filter: Filter = _EVERYTHING) -> str:
    """``base`` (``ws://host:port`` or ``.../ws``) with ``since``, ``kinds``, ``sources`` set.

    Other query parameters of ``base`` (a ``token``) are kept. Raises ValueError for a URL
    that is not ``ws://`` or ``wss://``, or a bad ``since``.
    """
    parts = urlsplit(base)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise ValueError(f"not a websocket URL (ws://host:port/ws): {base!r}")
    cursor = check_since(since)
    path = parts.path if parts.path not in ("", "/") else "/ws"
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name not in ("since", "kinds", "sources")
    ]
    query.append(("since", cursor or "0-0"))
    if filter.kinds is not None:
        query.append(("kinds", ",".join(sorted(filter.kinds))))
    if filter.sources is not None:
        query.append(("sources", ",".join(sorted(filter.sources))))
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(query, safe=",:"), ""))


def describe_url(url: str) -> str:
    """``ws · host:port``: where the ticker connects, without credentials or token."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    shown = f"[{host}]" if ":" in host else host
    return f"{parts.scheme} · {shown}" + (f":{parts.port}" if parts.port else "")


# -- messages ---------------------------------------------------------------------------------


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _health(value: object) -> dict[str, dict[str, object]]:
    if not isinstance(value, Mapping):
        return {}
    return {
        str(name): dict(fields) for name, fields in value.items() if isinstance(fields, Mapping)
    }


def _update(value: object) -> Update | None:
    if value is None:
        return None
    try:
        return Update.from_json(value)
    except UpdateError as error:
        raise RelayMessageError(f"snapshot: invalid update: {error}") from error


def _hello(message: Mapping[str, Any]) -> Hello:
    night = message.get("night")
    if not isinstance(night, Mapping):
        return Hello(stream=_string(message.get("stream")))
    night_date: date | None = None
    raw_date = night.get("date")
    if isinstance(raw_date, str):
        try:
            night_date = date.fromisoformat(raw_date)
        except ValueError:
            night_date = None
    timezone: ZoneInfo | None = None
    raw_zone = night.get("timezone")
    if isinstance(raw_zone, str) and raw_zone:
        try:
            timezone = ZoneInfo(raw_zone)
        except (ZoneInfoNotFoundError, ValueError):
            timezone = None
    round_ = night.get("round")
    candidates = night.get("candidates")
    seats = night.get("seats")
    total = seats.get("total") if isinstance(seats, Mapping) else None
    return Hello(
        stream=_string(message.get("stream")),
        title=_string(night.get("title")),
        night_date=night_date,
        round=round_ if round_ in (1, 2) and not isinstance(round_, bool) else None,
        timezone=timezone,
        candidates=tuple(name for name in candidates if isinstance(name, str) and name)
        if isinstance(candidates, list)
        else (),
        lists=_lists(night.get("lists")),
        colours=_colours(night.get("lists")),
        seats_total=total if isinstance(total, int) and not isinstance(total, bool) else None,
    )


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _lists(value: object) -> tuple[tuple[str, str | None, str | None], ...]:
    """``night.lists`` as (name, head, label); anything malformed is left out."""
    if not isinstance(value, list):
        return ()
    return tuple(
        (item["name"], _optional_text(item.get("head")), _optional_text(item.get("label")))
        for item in value
        if isinstance(item, Mapping) and isinstance(item.get("name"), str) and item["name"]
    )


def _colours(value: object) -> tuple[tuple[str, str], ...]:
    """``night.lists``' colours as (name, colour); an item without a text colour is left out."""
    if not isinstance(value, list):
        return ()
    return tuple(
        (item["name"], item["colour"])
        for item in value
        if isinstance(item, Mapping)
        and isinstance(item.get("name"), str)
        and item["name"]
        and isinstance(item.get("colour"), str)
    )


def _board(value: object) -> Board:
    try:
        return board_from_json(value)
    except BoardError as error:
        raise RelayMessageError(f"board: {error}") from error


def _clock(value: object) -> ReplayClock | None:
    if value is None:
        return None
    clock = ReplayClock.from_json(value, wall=0.0)
    if clock is None:
        raise RelayMessageError("clock: not a replay clock")
    return clock


def _desk(value: object) -> DeskState:
    try:
        return desk_state_from_json(value)
    except ValueError as error:
        raise RelayMessageError(str(error).splitlines()[0]) from None


def _embargo_held(value: object) -> frozenset[str] | None:
    """``snapshot.embargo.held``: the ids held now; None when absent or not a list (the ticker
    then keeps its marks: the safe side). Anything in it but a stream id is left out."""
    held = value.get("held") if isinstance(value, Mapping) else None
    if not isinstance(held, list):
        return None
    return frozenset(item for item in held if isinstance(item, str) and _STREAM_ID.match(item))


def parse_server_message(raw: str | bytes) -> ServerMessage:
    """One message from the broadcaster, typed; :class:`RelayMessageError` if unreadable."""
    try:
        message = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise RelayMessageError(f"not valid JSON: {error}") from error
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise RelayMessageError('a message must be a JSON object with a "type"')
    kind: str = message["type"]
    if kind == "update":
        try:
            # ``embargoed`` (to staff): the broadcaster's mark, which the relay follows.
            fields = {name: value for name, value in message.items() if name != "embargoed"}
            return UpdateMessage(Update.from_json(fields), message.get("embargoed") is True)
        except UpdateError as error:
            raise RelayMessageError(f"update: {error}") from error
    if kind == "hello":
        return _hello(message)
    if kind == "snapshot":
        return Snapshot(
            count=_update(message.get("count")),
            turnout=_update(message.get("turnout")),
            health=_health(message.get("health")),
            last_id=_string(message.get("last_id")),
            board=None if message.get("board") is None else _board(message.get("board")),
            clock=_clock(message.get("clock")),
            desk=None if message.get("desk") is None else _desk(message.get("desk")),
            embargo_held=_embargo_held(message.get("embargo")),
        )
    if kind == "board":
        return BoardMessage(_board(message.get("board")))
    if kind == "desk":
        return DeskMessage(_desk(message.get("desk")))
    if kind == "clock":
        return ClockMessage(_clock(message.get("clock")))
    if kind == "live":
        return Live(last_id=_string(message.get("last_id")))
    if kind == "gap":
        return Gap(since=_string(message.get("since")), first_id=_string(message.get("first_id")))
    if kind == "health":
        return Health(sources=_health(message.get("sources")))
    if kind == "error":
        return ServerError(
            code=str(message.get("code") or "error"), message=str(message.get("message") or "")
        )
    return Ignored(kind)
