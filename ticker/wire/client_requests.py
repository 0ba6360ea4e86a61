"""What a client asks for: the ``/ws`` query string (:class:`ConnectRequest`) and the messages
it sends (``subscribe``, ``ping``), parsed and validated into values or :class:`ProtocolError`.
Pure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl

from ticker.wire.client_filter import Filter, parse_filter_values
from ticker.wire.protocol_codes import ErrorCode, ProtocolError
from ticker.wire.stream_positions import parse_since

__all__ = [
    "ClientMessage",
    "ConnectRequest",
    "Ping",
    "Subscribe",
    "parse_client_message",
    "parse_connect_query",
]


@dataclass(frozen=True, slots=True)
class ConnectRequest:
    """What a client asked for in the ``/ws`` query string.

    ``since``: ``None`` when absent (the server's recent updates), ``"0-0"`` for every retained
    update, ``"$"`` for none, else a normalised entry id ``ms-seq``.
    """

    since: str | None = None
    filter: Filter = Filter()  # noqa: RUF009 - Filter is a frozen dataclass
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
    since = None if since_raw is None or since_raw == "" else parse_since(since_raw)
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
