"""What a source's HTTP response headers say, pure: ``Retry-After``, ``max-age``, ``charset``.

``Retry-After`` (seconds or an HTTP date) and ``Cache-Control: max-age`` are read into seconds
for :func:`ingest.runtime.backoff.next_poll_delay`; the charset of ``Content-Type`` is what the
parsers decode with when the document does not say. Used by :mod:`ingest.polling.fetch`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

__all__ = ["content_charset", "parse_max_age", "parse_retry_after"]


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """``Retry-After`` in seconds from ``now``: ``"120"`` or an HTTP date; None if absent/bad."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def parse_max_age(value: str | None) -> float | None:
    """``Cache-Control: max-age`` in seconds (``s-maxage`` ignored); None if absent or no-store."""
    if not value:
        return None
    max_age: float | None = None
    for directive in value.split(","):
        name, _, argument = directive.strip().partition("=")
        name = name.strip().lower()
        if name in ("no-store", "no-cache"):
            return None
        if name == "max-age":
            argument = argument.strip().strip('"')
            if argument.isdigit():
                max_age = float(int(argument))
    return max_age


def content_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type`` header, if any."""
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = message.get_param("charset")
    return charset.strip() if isinstance(charset, str) and charset.strip() else None
