"""Websocket frames: a message encoded once as an unmasked text frame, an update's frame kept
with it (:class:`EncodedUpdate`), a batch joined for one write. Pure.

An update's frame is encoded once and the same bytes are written to every client that wants
it: a server frame is never masked and the broadcaster negotiates no extension, so the bytes on
the wire are the same for everyone.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.model.update import Update
from ticker.wire.client_filter import Filter
from ticker.wire.protocol import update_message
from ticker.wire.stream_positions import id_key

__all__ = ["EncodedUpdate", "encode_text_frame", "frames_of", "join_frames"]


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
