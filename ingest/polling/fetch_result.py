"""What one fetch of a source asks and gives: its limits, its validators, its result. Pure.

:class:`FetchLimits` are a source's politeness limits; :class:`Validators` what the last good
answer allows asking conditionally (``ETag`` / ``Last-Modified``); :class:`FetchResult` what
one GET gave, classified (:class:`FetchOutcome`), with the time spent waiting for a per-host
slot told apart. The fetch itself, with aiohttp: :mod:`ingest.polling.fetch`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

__all__ = [
    "SLOT_WAIT_NOTICE",
    "FetchLimits",
    "FetchOutcome",
    "FetchResult",
    "Validators",
]

#: A wait for a per-host slot at least this long (seconds) is told in the source's health.
SLOT_WAIT_NOTICE: Final = 0.5


class FetchOutcome(StrEnum):
    """How a fetch ended."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BAD_REDIRECT = "bad_redirect"
    CONNECTION_ERROR = "connection_error"
    BAD_RESPONSE = "bad_response"


@dataclass(slots=True)
class Validators:
    """What the last good answer allows asking conditionally (kept per source, in memory)."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        """The conditional request headers."""
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """A source's politeness limits (seconds and bytes)."""

    timeout: float = 10.0
    connect_timeout: float = 5.0
    total_timeout: float = 30.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What one fetch gave. ``body`` is set for :attr:`FetchOutcome.OK` only.

    ``started`` / ``finished`` are ``time.monotonic()`` readings: ``finished`` is when the last
    byte arrived, the start of the detection latency. ``slot_wait`` is the time spent waiting
    for a per-host slot (other sources' requests to the same host), counted neither in the
    timeouts nor in :attr:`duration`; ``slot_host`` the host waited for.
    """

    outcome: FetchOutcome
    url: str
    started: float
    finished: float
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    max_age: float | None = None
    cache_control: str | None = None
    error: str | None = None
    redirects: tuple[str, ...] = field(default=())
    slot_wait: float = 0.0
    slot_host: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the source answered well (new content, or ``304 Not Modified``)."""
        return self.outcome in (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED)

    @property
    def duration(self) -> float:
        """Seconds from the request to the last byte (or the failure), slot waits left out."""
        return max(0.0, self.finished - self.started - self.slot_wait)

    @property
    def slot_note(self) -> str | None:
        """The words for a wait for a per-host slot long enough to tell (None otherwise)."""
        if self.slot_wait < SLOT_WAIT_NOTICE:
            return None
        return (
            f"waited {self.slot_wait:.1f} s for a free connection slot to {self.slot_host}"
            " (other sources' requests to that host in flight; max_per_host); not counted in"
            " this source's timeouts"
        )
