"""Which updates a client wants: the :class:`Filter` (kinds, sources) and its values checked,
from a query string, a ``subscribe`` message or the command line. Pure.

It is also the one place of the rule "alerts are staff-only" (``docs/protocol.md``,
"Staff-only updates"): a public client's filter (:meth:`Filter.seen_by`, ``public``) never
accepts the :data:`STAFF_ONLY_KINDS`, whatever its ``kinds`` say; :data:`PUBLIC_VIEW` is what a
public client without a filter gets (the broadcaster's ``/export`` is fed through it). Applied
by the filter, the rule holds on every path the filter does: live updates, the backlog from
memory or Redis, updates the embargo releases, and a client's cursor passes over what it
leaves out (a resume from ``since`` or ``Last-Event-ID`` skips them again, never loses or
repeats an update).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from ingest.model.text_cleaning import MAX_NAME_LENGTH
from ingest.model.update import KINDS, Kind
from ticker.wire.protocol_codes import ErrorCode, ProtocolError

__all__ = [
    "MAX_FILTER_VALUES",
    "PUBLIC_VIEW",
    "STAFF_ONLY_KINDS",
    "Filter",
    "parse_filter_values",
]

#: At most this many kinds or sources in one filter.
MAX_FILTER_VALUES: Final = 64
#: The kinds of update only staff clients get: the newsroom's alerts (``docs/alerts.md``).
STAFF_ONLY_KINDS: Final = frozenset({Kind.ALERT.value})


@dataclass(frozen=True, slots=True)
class Filter:
    """Which updates a client wants: ``None`` for a field means every value.

    Filters are hashable: the broadcaster groups clients by filter and builds the bytes of a
    batch once per group. ``public``: the filter of a public client (the read token, or none),
    which never accepts the :data:`STAFF_ONLY_KINDS`, even when ``kinds`` names them; it is
    the server's to set (:meth:`seen_by`), never the client's, and is not in :meth:`to_json`.
    """

    kinds: frozenset[str] | None = None
    sources: frozenset[str] | None = None
    public: bool = False

    @property
    def is_everything(self) -> bool:
        """Whether the filter lets every update through."""
        return self.kinds is None and self.sources is None and not self.public

    def accepts(self, kind: str, source: str) -> bool:
        """Whether an update of ``kind`` from ``source`` passes."""
        if self.public and kind in STAFF_ONLY_KINDS:
            return False
        return (self.kinds is None or kind in self.kinds) and (
            self.sources is None or source in self.sources
        )

    def seen_by(self, *, staff: bool) -> Filter:
        """This filter as the broadcaster applies it to a staff or a public client."""
        public = not staff
        return self if self.public == public else replace(self, public=public)

    def to_json(self) -> dict[str, list[str] | None]:
        """``{"kinds": [...] | null, "sources": [...] | null}``, values sorted."""
        return {
            "kinds": None if self.kinds is None else sorted(self.kinds),
            "sources": None if self.sources is None else sorted(self.sources),
        }


#: What a public client without a filter of its own gets: every update but the staff-only ones.
PUBLIC_VIEW: Final = Filter(public=True)


def _split(raw: str) -> list[str]:
    """``"a, b"`` -> ``["a", "b"]``; ``""`` -> ``[]``. Empty names stay (``"a,,b"`` is refused)."""
    if not raw.strip():
        return []
    return [part.strip() for part in raw.split(",")]


def parse_filter_values(raw: object, *, field: str) -> frozenset[str] | None:
    """Validate one filter field: a list of strings, a comma-separated string, or None (all).

    ``kinds`` must name known kinds. An empty list is refused (it would match nothing: a client
    that wants nothing should disconnect), and so is an empty name (``"a,,b"``, ``"count,"``);
    ``null`` or an absent field means every value. (A
    ``subscribe`` message must use a JSON list: :func:`parse_client_message` refuses strings.)
    """
    if raw is None:
        return None
    if isinstance(raw, str):
        values: list[object] = list(_split(raw))
    elif isinstance(raw, list):
        values = raw
    else:
        raise ProtocolError(ErrorCode.BAD_FILTER, f"{field}: expected a list of strings or null")
    if not values:
        raise ProtocolError(ErrorCode.BAD_FILTER, f"{field}: empty (omit it, or null, for all)")
    if len(values) > MAX_FILTER_VALUES:
        raise ProtocolError(ErrorCode.BAD_FILTER, f"{field}: at most {MAX_FILTER_VALUES} values")
    checked: set[str] = set()
    for value in values:
        if not isinstance(value, str) or not value or len(value) > MAX_NAME_LENGTH:
            raise ProtocolError(ErrorCode.BAD_FILTER, f"{field}: values must be non-empty strings")
        if field == "kinds" and value not in KINDS:
            raise ProtocolError(
                ErrorCode.BAD_FILTER,
                f"kinds: unknown kind {value!r} (kinds: {', '.join(KINDS)})",
            )
        checked.add(value)
    return frozenset(checked)
