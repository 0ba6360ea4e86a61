"""Per-source poller health, the record: its transitions, its JSON and Redis hash forms. Pure.

Every poll updates one :class:`SourceHealth` (pure transitions :meth:`SourceHealth.succeeded`
and :meth:`SourceHealth.failed`); :mod:`ingest.store.health` writes it to Redis
(:meth:`SourceHealth.to_hash`) and reads it back (:meth:`SourceHealth.from_hash`,
:meth:`SourceHealth.to_json`). URLs and messages are redacted as the record is made, so no
credential reaches Redis, ``/healthz`` or a websocket. Fields (``docs/ingest.md``, "Health"):

=========================  =====================================================================
``source``, ``type``,      the configured source (``url`` with its password and secret query
``url``, ``interval``      parameters masked: :func:`ingest.runtime.log_redaction.redact_url`)
``state``                  ``ok`` (last poll good), ``error`` (last poll failed), ``starting``
``last_poll``              when the last poll finished (ISO 8601, UTC)
``next_poll``              when the poller means to poll again (a past one: the poller is gone)
``last_success``           when a poll last went well (200 or 304)
``last_error``             the last failure, in words, and ``last_error_at`` when
``consecutive_errors``     failed polls since the last good one
``last_status``            the HTTP status of the last answer (absent if none came)
``last_outcome``           ``ok``, ``not_modified``, ``http_error``, ``timeout``, ``too_large``...
``last_warning``           what the last document read had to skip (a malformed item...); kept
                           through ``304`` polls and failures until a document reads clean
``skipped``                items the last document read left out, by reason
                           (:class:`ingest.sources.skipped_items.SkipReason` -> count)
``flapping``               entries flapping now (:mod:`ingest.sources.flapping`: their changes
                           damped)
``held``                   changes waiting at the last document read (flapping, or over the
                           source's budget)
``entries_seen``           entries on the source at the last good poll
``last_poll_ms``           how long the last fetch took (a wait for a per-host slot left out)
``last_slot_wait_ms``      how long the last fetch waited for a per-host connection slot (other
                           sources' requests to its host in flight; 0: none): not the source's
                           fault, never counted in its timeouts
``detection_latency_ms``   fetch finished -> on the stream, for the last poll that appended;
                           ``detection_latency_max_ms`` the worst this poller has seen
``polls``, ``appended``    counters, summed over every poller replica (HINCRBY)
``dropped_documents``      documents this poller fetched but dropped unwritten: Redis was away
                           longer than its queue holds (absent: none)
``gaps_found``,            liveblogs with a pagination: gaps this poller found (entries that
``gaps_filled``,           scrolled off the page unseen), filled by a catch-up through older
``gaps_unfilled``          pages, and not filled (a bound reached, an older page failed): a
                           warning (absent: none)
``unfilled_gap``           the last gap not filled, when and why, in words
=========================  =====================================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Final

from ingest.model.text_cleaning import clean_text
from ingest.runtime.log_redaction import redact_secrets, redact_url

__all__ = ["HEALTH_STATES", "SourceHealth"]

HEALTH_STATES: Final = ("starting", "ok", "error")
# Longest error or warning text kept: enough to read, not enough to fill Redis with a page.
MAX_MESSAGE_LENGTH: Final = 300
_COUNTERS: Final = ("polls", "appended")


def _short(message: str | None) -> str | None:
    """A message as one short line of plain text (it may quote what a source sent)."""
    if message is None:
        return None
    # An error may quote the source's URL (credentials and all): masked like the url field.
    shown = redact_secrets(message)
    return " ".join(clean_text(shown, max_length=MAX_MESSAGE_LENGTH).split()) or None


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source's health, as its poller last wrote it."""

    source: str
    type: str = ""
    url: str = ""
    interval: float | None = None
    state: str = "starting"
    last_poll: datetime | None = None
    next_poll: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    consecutive_errors: int = 0
    last_status: int | None = None
    last_outcome: str | None = None
    last_warning: str | None = None
    skipped: dict[str, int] | None = None
    flapping: int | None = None
    held: int | None = None
    entries_seen: int | None = None
    last_poll_ms: float | None = None
    last_slot_wait_ms: float | None = None
    detection_latency_ms: float | None = None
    detection_latency_max_ms: float | None = None
    polls: int = 0
    appended: int = 0
    dropped_documents: int | None = None
    gaps_found: int | None = None
    gaps_filled: int | None = None
    gaps_unfilled: int | None = None
    unfilled_gap: str | None = None

    def __post_init__(self) -> None:
        # Health is public (/healthz, websocket snapshots, ingest --status): a source URL's
        # credentials and secret parameters never enter it, nor the Redis hash written from it.
        # Read back, a hash an older version wrote is masked too.
        if self.url:
            object.__setattr__(self, "url", redact_url(self.url))
        for name in ("last_error", "last_warning", "unfilled_gap"):
            text = getattr(self, name)
            if text:
                object.__setattr__(self, name, redact_secrets(text))

    # -- pure transitions -------------------------------------------------------------------

    def succeeded(
        self,
        *,
        now: datetime,
        outcome: str,
        status: int | None,
        poll_seconds: float,
        entries: int | None = None,
        latency_seconds: float | None = None,
        warning: str | None = None,
        skipped: Mapping[str, int] | None = None,
        read: bool = True,
        flapping: int | None = None,
        held: int | None = None,
        slot_wait_seconds: float | None = None,
    ) -> SourceHealth:
        """The health after a good poll (``entries`` None: unchanged, e.g. on a 304).

        ``read`` False: no document was read (a 304): the warning and the skipped counts of the
        last document read stay, since what they describe has not changed.
        """
        latency_ms = None if latency_seconds is None else round(latency_seconds * 1000, 3)
        worst = self.detection_latency_max_ms
        if latency_ms is not None and (worst is None or latency_ms > worst):
            worst = latency_ms
        return replace(
            self,
            state="ok",
            last_poll=now,
            last_success=now,
            consecutive_errors=0,
            last_status=status,
            last_outcome=outcome,
            last_warning=_short(warning) if read else self.last_warning,
            skipped=(dict(skipped) if skipped is not None else None) if read else self.skipped,
            flapping=self.flapping if flapping is None else flapping,
            held=self.held if held is None else held,
            entries_seen=self.entries_seen if entries is None else entries,
            last_poll_ms=round(poll_seconds * 1000, 3),
            last_slot_wait_ms=self._slot_wait_ms(slot_wait_seconds),
            detection_latency_ms=latency_ms
            if latency_ms is not None
            else self.detection_latency_ms,
            detection_latency_max_ms=worst,
        )

    def failed(
        self,
        *,
        now: datetime,
        outcome: str,
        error: str,
        status: int | None,
        poll_seconds: float,
        slot_wait_seconds: float | None = None,
    ) -> SourceHealth:
        """The health after a failed poll (``slot_wait_seconds`` None: no fetch, unchanged)."""
        return replace(
            self,
            state="error",
            last_poll=now,
            last_error=_short(error),
            last_error_at=now,
            consecutive_errors=self.consecutive_errors + 1,
            last_status=status,
            last_outcome=outcome,
            last_poll_ms=round(poll_seconds * 1000, 3),
            last_slot_wait_ms=self._slot_wait_ms(slot_wait_seconds),
        )

    def _slot_wait_ms(self, seconds: float | None) -> float | None:
        """A fetch's wait for a per-host slot in ms (None: no fetch, the last one stays)."""
        return self.last_slot_wait_ms if seconds is None else round(seconds * 1000, 3)

    def dropping(self, dropped: int) -> SourceHealth:
        """The health once ``dropped`` documents in all were dropped unwritten."""
        return replace(self, dropped_documents=dropped)

    def with_gaps(
        self, *, found: int, filled: int, unfilled: int, last_unfilled: str | None
    ) -> SourceHealth:
        """The health with a source's gaps so far (counts of 0 are left absent)."""
        return replace(
            self,
            gaps_found=found or None,
            gaps_filled=filled or None,
            gaps_unfilled=unfilled or None,
            unfilled_gap=_short(last_unfilled),
        )

    def scheduled(self, next_poll: datetime) -> SourceHealth:
        """The health with the next poll's time."""
        return replace(self, next_poll=next_poll)

    # -- forms ------------------------------------------------------------------------------

    def to_json(self) -> dict[str, object]:
        """A JSON-able dict, absent values left out."""
        data: dict[str, object] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None:
                continue
            data[item.name] = value.isoformat() if isinstance(value, datetime) else value
        return data

    def to_hash(self) -> dict[str, str]:
        """The Redis hash fields (strings; "" for absent), counters left out."""
        data: dict[str, str] = {}
        for item in fields(self):
            if item.name in _COUNTERS:
                continue
            value = getattr(self, item.name)
            if value is None:
                data[item.name] = ""
            elif isinstance(value, datetime):
                data[item.name] = value.isoformat()
            elif isinstance(value, dict):
                data[item.name] = json.dumps(value, sort_keys=True)
            else:
                data[item.name] = str(value)
        return data

    @classmethod
    def from_hash(cls, source: str, data: Mapping[str, str]) -> SourceHealth:
        """Read a hash back; unreadable fields are taken as absent (never fails)."""
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = data.get(item.name)
            if item.name == "source" or raw is None or raw == "":
                continue
            parsed = _parse_field(item.name, raw)
            if parsed is not None:
                values[item.name] = parsed
        if values.get("state") not in HEALTH_STATES:
            values.pop("state", None)
        return cls(source=source, **values)


_DATETIMES: Final = frozenset({"last_poll", "next_poll", "last_success", "last_error_at"})
_INTS: Final = frozenset(
    {
        "consecutive_errors",
        "last_status",
        "entries_seen",
        "flapping",
        "held",
        "dropped_documents",
        "gaps_found",
        "gaps_filled",
        "gaps_unfilled",
        *_COUNTERS,
    }
)
_COUNT_MAPS: Final = frozenset({"skipped"})
_FLOATS: Final = frozenset(
    {
        "interval",
        "last_poll_ms",
        "last_slot_wait_ms",
        "detection_latency_ms",
        "detection_latency_max_ms",
    }
)


def _counts(raw: str) -> dict[str, int] | None:
    """A JSON object of counts (name -> whole number >= 0), or None if it is not one."""
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    counts = {
        _short(str(name)) or "?": count
        for name, count in value.items()
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0
    }
    return counts if len(counts) == len(value) else None


def _parse_field(name: str, raw: str) -> object:
    try:
        if name in _COUNT_MAPS:
            return _counts(raw)
        if name in _DATETIMES:
            instant = datetime.fromisoformat(raw)
            return instant if instant.tzinfo is not None else None
        if name in _INTS:
            return int(raw)
        if name in _FLOATS:
            return float(raw)
    except ValueError:
        return None
    return raw
