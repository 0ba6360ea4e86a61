"""The protocol's codes: the close codes the broadcaster sends, the ``code`` of an ``error``
message, and :class:`ProtocolError`, which carries one. Pure.

Exceptions::

    ProtocolError       a client asked for something invalid; ``code`` is the error code sent
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from ingest.model.errors import SoireeError

__all__ = ["Close", "ErrorCode", "ProtocolError"]


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
