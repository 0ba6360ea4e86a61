"""Redis replies as text: a field or value (``bytes`` from a client that does not decode, or
``str``) as a string, and a hash or stream entry's fields as a ``dict[str, str]``.

Bytes that are not UTF-8 are replaced, never an error: what a reader then finds wrong in the
text is its own business (each record's ``from_hash`` / ``from_fields`` refuses it cleanly).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["reply_strings", "reply_text"]


def reply_text(value: Any) -> str:
    """One field or value of a reply, as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def reply_strings(raw: Mapping[Any, Any] | None) -> dict[str, str]:
    """A hash (HGETALL) or a stream entry's fields as text; None (no fields) is empty."""
    return {reply_text(key): reply_text(value) for key, value in (raw or {}).items()}
