"""Secrets never reach a log: a logging filter that masks them in every record written.

Libraries log at DEBUG what goes over the wire: ``websockets`` logs every line of a handshake,
on the server (``< GET /ws?token=T HTTP/1.1``, ``< Authorization: Bearer T``) and on the client
(``soiree ticker --ws``). ``soiree -vv`` shows DEBUG, so the command line installs
:class:`RedactSecrets` on its log handlers (:func:`install`), and every record is rewritten
before it is written (its message, its traceback and its stack):

- the value of an ``Authorization``, ``Proxy-Authorization``, ``Cookie`` or ``Set-Cookie``
  header becomes ``***``;
- the value of a ``token``, ``access_token`` or ``password`` query parameter becomes ``***``;
- the password of a URL (``rediss://:pw@host``, ``redis://user:pw@host``) becomes ``***``.

What soiree prints itself goes through :func:`ingest.store.redis_url.redact_url`; this filter
is the net under everything else.
"""

from __future__ import annotations

import logging
import re
from typing import Final

__all__ = ["RedactSecrets", "install", "redact_secrets"]

_HEADER: Final = re.compile(
    r"(?im)\b((?:proxy-)?authorization|(?:set-)?cookie)(\s*:\s*|\s*=\s*)[^\r\n]*"
)
_QUERY: Final = re.compile(r"(?i)([?&;](?:token|access_token|password)=)[^&#\s'\"]*")
_USERINFO: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s'\"]*:)[^@\s'\"]*@")


def redact_secrets(text: str) -> str:
    """``text`` with header credentials, token/password parameters and URL passwords masked."""
    text = _HEADER.sub(r"\1\2***", text)
    text = _QUERY.sub(r"\1***", text)
    return _USERINFO.sub(r"\1***@", text)


class RedactSecrets(logging.Filter):
    """Masks secrets in each record (see the module docstring); never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place; always keep it."""
        message = record.getMessage()
        redacted = redact_secrets(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_secrets(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put a :class:`RedactSecrets` on every handler of ``logger`` (the root one by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(existing, RedactSecrets) for existing in handler.filters):
            handler.addFilter(RedactSecrets())
