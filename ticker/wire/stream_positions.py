"""Positions in the stream as the protocol names them: a client's ``since`` (``"0-0"``, ``"$"``
or ``ms-seq``) and stream ids as sortable keys. Pure.
"""

from __future__ import annotations

from typing import Final

from ingest.model.stream_ids import check_since, parse_stream_id
from ticker.wire.protocol_codes import ErrorCode, ProtocolError

__all__ = ["SINCE_NOW", "SINCE_START", "id_key", "parse_since"]

#: ``since`` that asks for every retained update.
SINCE_START: Final = "0-0"
#: ``since`` that asks for nothing before now.
SINCE_NOW: Final = "$"


def id_key(entry_id: str) -> tuple[int, int]:
    """A stream id as a tuple that sorts as Redis orders ids (``"12-3"`` -> ``(12, 3)``)."""
    return parse_stream_id(entry_id)


def parse_since(raw: str) -> str:
    """Normalise a client's ``since``: ``"0-0"`` (everything), ``"$"`` (nothing) or ``ms-seq``."""
    try:
        cursor = check_since(raw)
    except ValueError as error:
        raise ProtocolError(ErrorCode.BAD_SINCE, str(error)) from None
    return SINCE_START if cursor is None else cursor
