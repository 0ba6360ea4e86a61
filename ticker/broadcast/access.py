"""Who may read what: the read token and the staff token, reloadable without a restart.

``soiree serve`` may be given a read token (``--token-file``, ``$SOIREE_READ_TOKEN``) and a
staff token (``--staff-token-file``, ``$SOIREE_STAFF_TOKEN``), distinct. A client presents
either the way it presents the read token (``?token=T`` or ``Authorization: Bearer T``):

- the staff token: a **staff** client, which also gets what the embargo holds, marked
  (``docs/protocol.md``, "The embargo");
- the read token, or nothing when no read token is set: a **public** client;
- any other token, once a token is set: refused (401, or 4001 on ``/ws``), and counted in
  ``/metrics`` (``soiree_rejected_tokens_total``), even with no read token set: a wrong staff
  token never falls back to the public view silently. With no token set at all, any is ignored.

:meth:`AccessTokens.reload` reads the tokens again from where they came from (``soiree serve``
calls it on SIGHUP); a reload that fails keeps the tokens in use.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from enum import StrEnum

__all__ = ["Access", "AccessTokens", "TokenLoader"]


class Access(StrEnum):
    """What a client may read."""

    PUBLIC = "public"
    STAFF = "staff"


#: Reads the (read token, staff token) again; raises ``ValueError`` / ``OSError`` if it cannot.
TokenLoader = Callable[[], tuple[str | None, str | None]]


def _same(given: str, expected: str | None) -> bool:
    return expected is not None and hmac.compare_digest(given.encode(), expected.encode())


class AccessTokens:
    """The tokens in use (see the module docstring)."""

    __slots__ = ("_load", "read", "staff")

    def __init__(
        self,
        read: str | None = None,
        staff: str | None = None,
        *,
        load: TokenLoader | None = None,
    ) -> None:
        if read is not None and staff is not None and read == staff:
            raise ValueError("the staff token must differ from the read token")
        self.read = read
        self.staff = staff
        self._load = load

    def access(self, given: str | None) -> Access | None:
        """What a client presenting ``given`` may read, or None: refused."""
        if given is None:
            return Access.PUBLIC if self.read is None else None
        if _same(given, self.staff):
            return Access.STAFF
        if _same(given, self.read):
            return Access.PUBLIC
        # Without any token configured, what a client sends as a token is no token at all.
        return Access.PUBLIC if self.read is None and self.staff is None else None

    def reload(self) -> None:
        """Read the tokens again (nothing without a loader); on failure keep these, and raise."""
        if self._load is None:
            return
        read, staff = self._load()
        if read is not None and staff is not None and read == staff:
            raise ValueError("the staff token must differ from the read token")
        self.read, self.staff = read, staff
