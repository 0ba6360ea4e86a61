"""Secrets are never shown: the one URL redaction, and a logging filter for every record written.

:func:`redact_url` is what soiree applies to every URL it stores or shows: the Redis URL in its
messages (:mod:`ingest.store.embedded_redis`), and a source's URL in its health
(:mod:`ingest.store.health`: the Redis health hash, ``/healthz``, websocket snapshots and ``health``
messages, ``ingest --status``). It masks the password of the userinfo (``https://user:***@host``)
and the value of every secret-looking query parameter (:func:`is_secret_parameter`: ``token``,
``api_key``, ``password``, ``secret``, ``sig``...), and leaves the rest as written.

Libraries log at DEBUG what goes over the wire: ``websockets`` logs every line of a handshake,
on the server (``< GET /ws?token=T HTTP/1.1``, ``< Authorization: Bearer T``) and on the client
(``soiree ticker --ws``). ``soiree -vv`` shows DEBUG, so the command line installs
:class:`RedactSecrets` on its log handlers (:func:`install`), and every record is rewritten
before it is written (its message, its traceback and its stack):

- the value of an ``Authorization``, ``Proxy-Authorization``, ``Cookie`` or ``Set-Cookie``
  header becomes ``***``;
- the value of a secret-looking query parameter (the same names as :func:`redact_url`)
  becomes ``***``;
- the password of a URL (``rediss://:pw@host``, ``redis://user:pw@host``) becomes ``***``.

What soiree prints itself goes through :func:`redact_url`; this filter is the net under
everything else.
"""

from __future__ import annotations

import logging
import re
from typing import Final
from urllib.parse import unquote_plus, urlsplit

__all__ = ["RedactSecrets", "install", "is_secret_parameter", "redact_secrets", "redact_url"]

#: A query parameter whose value is a secret: ``token``, ``access_token``, ``csrftoken``,
#: ``api_key``, ``apikey``, ``X-Api-Key``, ``password``, ``client_secret``, ``sig``,
#: ``X-Amz-Signature``, ``auth``, ``session_id``... (``key`` and the like only as a whole word,
#: so that ``monkey`` or ``keyword`` stay readable).
_MASKED_NAMES: Final = (
    r"[\w.-]*(?:token|secret|passw(?:or)?d|api[_-]?key|credentials?)"
    r"|(?:[\w.-]*[_.-])?(?:key|auth|sig|signature|pass|pwd|session(?:[_-]?id)?)"
)
_SECRET_PARAMETER: Final = re.compile(_MASKED_NAMES, re.IGNORECASE)
_HEADER: Final = re.compile(
    r"(?im)\b((?:proxy-)?authorization|(?:set-)?cookie)(\s*:\s*|\s*=\s*)[^\r\n]*"
)
_QUERY: Final = re.compile(rf"(?i)([?&;#](?:{_MASKED_NAMES})=)[^&;#\s'\"]*")
_USERINFO: Final = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s'\"]*:)[^@\s'\"]*@")
_MASK: Final = "***"


def is_secret_parameter(name: str) -> bool:
    """Whether a query parameter called ``name`` carries a secret (its value is masked)."""
    return _SECRET_PARAMETER.fullmatch(unquote_plus(name).strip()) is not None


def _redact_pairs(text: str) -> str:
    """``a=1&token=T;b=2`` with the values of secret parameters masked, the rest as written."""
    pieces = re.split(r"([&;])", text)
    for index in range(0, len(pieces), 2):
        name, equals, _value = pieces[index].partition("=")
        if equals and is_secret_parameter(name):
            pieces[index] = f"{name}={_MASK}"
    return "".join(pieces)


def redact_url(url: str) -> str:
    """``url`` with its secrets masked: the userinfo's password, secret parameters' values.

    ``https://u:pw@host/f?api_key=K&page=2`` -> ``https://u:***@host/f?api_key=***&page=2``;
    the rest of the URL is kept as written (not re-encoded). A URL that cannot be parsed is
    shown as ``<unparseable URL>``.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    head, hash_sign, fragment = url.partition("#")
    head, question, query = head.partition("?")
    if "@" in parts.netloc:
        userinfo, _, host = parts.netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        if colon:
            head = head.replace(f"//{parts.netloc}", f"//{user}:{_MASK}@{host}", 1)
    # A fragment may carry parameters too (``#access_token=...``).
    return head + question + _redact_pairs(query) + hash_sign + _redact_pairs(fragment)


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
