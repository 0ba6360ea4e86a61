"""What a poll did: :class:`PollResult` for one poll, :class:`PollTotals` for all of a poller's.

Plain values, for logs, tests and the summary of a burst (``soiree ingest --burst``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PollResult", "PollTotals"]


@dataclass(frozen=True, slots=True)
class PollTotals:
    """What a poller's polls did, summed: the whole of a burst, not its last poll."""

    polls: int = 0
    added: int = 0
    edited: int = 0
    deleted: int = 0

    def plus(self, result: PollResult) -> PollTotals:
        """These totals with one more poll."""
        return PollTotals(
            polls=self.polls + 1,
            added=self.added + result.added,
            edited=self.edited + result.edited,
            deleted=self.deleted + result.deleted,
        )


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did, for logs, tests and the burst summary.

    ``latency`` is the detection latency (fetch finished -> appended), set when the poll
    appended something; ``next_delay`` the seconds until the next poll.
    """

    source: str
    outcome: str
    ok: bool
    status: int | None = None
    entries: int | None = None
    added: int = 0
    edited: int = 0
    deleted: int = 0
    fetch_seconds: float = 0.0
    latency: float | None = None
    next_delay: float = 0.0
    error: str | None = None
    warning: str | None = None

    @property
    def appended(self) -> int:
        """How many updates this poll put on the stream."""
        return self.added + self.edited + self.deleted

    @property
    def changed(self) -> bool:
        """Whether the source showed anything new (appended by this poller or another)."""
        return self.appended > 0
