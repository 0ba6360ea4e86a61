"""Server-sent events: the websocket protocol's messages as an ``text/event-stream``. Pure.

Every message of ``/ws`` (``docs/protocol.md``) is one event on ``/sse``: its ``event:`` is the
message's ``type`` and its ``data:`` the very same JSON text, on one line (the JSON of a
message never holds a raw line break). An ``update`` carries ``id: <stream id>`` and ``live``
``id: <its last_id>``, so that a browser's ``EventSource`` reconnects with ``Last-Event-ID``
at the cursor ``since=`` would take. Nothing else carries an id (a snapshot comes before the
backlog: its position is not yet the client's).

The bytes of an update's event are cut from its websocket frame (:func:`frame_payload`): the
message is encoded once, whatever the transport.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Final

from ticker.wire.client_filter import Filter
from ticker.wire.ws_frames import EncodedUpdate

__all__ = [
    "HEARTBEAT",
    "comment",
    "frame_payload",
    "join_events",
    "message_event",
    "retry_hint",
    "update_event",
]

#: A heartbeat: a comment line, which EventSource ignores and proxies see as traffic.
HEARTBEAT: Final = b": heartbeat\n\n"


def frame_payload(frame: bytes) -> bytes:
    """The payload of an unmasked websocket frame written by :func:`encode_text_frame`."""
    length = frame[1] & 0x7F
    return frame[2 + {126: 2, 127: 8}.get(length, 0) :]


def _event(kind: bytes, data: bytes, event_id: str | None) -> bytes:
    head = b"" if event_id is None else b"id: " + event_id.encode() + b"\n"
    return head + b"event: " + kind + b"\ndata: " + data + b"\n\n"


def message_event(text: str) -> bytes:
    """The event of one server message (its JSON text): ``event: <type>``, ``data: <text>``.

    ``live`` carries ``id: <last_id>`` when it has one.
    """
    message = json.loads(text)
    kind = str(message["type"])
    event_id = message.get("last_id") if kind == "live" else None
    return _event(kind.encode(), text.encode(), event_id if isinstance(event_id, str) else None)


def update_event(entry: EncodedUpdate) -> bytes:
    """The event of an update: ``id: <stream id>``, ``event: update``, its message as data."""
    return _event(b"update", frame_payload(entry.frame), entry.id)


def join_events(entries: Iterable[EncodedUpdate], wanted: Filter) -> tuple[bytes, int]:
    """The events of the updates ``wanted`` accepts, as one bytes, and how many."""
    events = [update_event(entry) for entry in entries if wanted.accepts(entry.kind, entry.source)]
    return b"".join(events), len(events)


def retry_hint(milliseconds: int) -> bytes:
    """``retry: N``: how long EventSource waits before reconnecting."""
    return f"retry: {milliseconds}\n\n".encode()


def comment(text: str) -> bytes:
    """A comment line (ignored by EventSource, visible to ``curl -N``); one line only."""
    return b": " + " ".join(text.split()).encode() + b"\n\n"
