"""How the broadcaster's messages are written on each transport: websocket frames or
server-sent events. Pure.

Every message is encoded once, as a websocket frame
(:func:`ticker.wire.ws_frames.encode_text_frame`, :class:`~ticker.wire.ws_frames.EncodedUpdate`);
a :class:`Framing` says what bytes a client on one transport gets for it, so that the fan-out
and the join (``ticker.broadcast``) are written once for ``/ws`` and ``/sse``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from ticker.wire.client_filter import Filter
from ticker.wire.sse import frame_payload, join_events, message_event
from ticker.wire.ws_frames import EncodedUpdate, encode_text_frame, join_frames

__all__ = ["EVENT_STREAM", "WEBSOCKET", "Framing"]


def _event_of_frame(frame: bytes) -> bytes:
    return message_event(frame_payload(frame).decode())


@dataclass(frozen=True, slots=True)
class Framing:
    """The bytes of messages on one transport."""

    #: The name of the transport (for logs).
    name: str
    #: One server message, from its JSON text.
    message: Callable[[str], bytes]
    #: One server message, from its websocket frame (a snapshot, a board...).
    frame: Callable[[bytes], bytes]
    #: The updates a filter accepts, as one bytes, and how many.
    updates: Callable[[Iterable[EncodedUpdate], Filter], tuple[bytes, int]]


def _same(frame: bytes) -> bytes:
    return frame


#: ``/ws``: the frames as they are.
WEBSOCKET: Final = Framing(
    name="websocket", message=encode_text_frame, frame=_same, updates=join_frames
)
#: ``/sse``: each message an event (:mod:`ticker.wire.sse`).
EVENT_STREAM: Final = Framing(
    name="event-stream", message=message_event, frame=_event_of_frame, updates=join_events
)
