"""Tests for ingest.runtime.retrying: the retrying iterator and its backoff."""

from __future__ import annotations

import pytest

from ingest.runtime.backoff import Backoff
from ingest.runtime.retrying import Attempt, retrying


async def test_retrying_backs_off_and_starts_over_after_a_success() -> None:
    """Failures count up between attempts; succeeded() makes the next failure the first."""
    policy = Backoff(interval=0.001, max_backoff=0.004, jitter=0.0)
    delays: list[float] = []
    seen: list[int] = []
    outcomes = iter(["fail", "fail", "recover-then-fail", "fail", "ok"])
    async for attempt in retrying(
        policy, retry_on=(OSError,), on_failure=lambda _error, delay: delays.append(delay)
    ):
        seen.append(attempt.failures)
        with attempt:
            outcome = next(outcomes)
            if outcome == "recover-then-fail":
                attempt.succeeded()
            if outcome != "ok":
                raise OSError(outcome)
    assert seen == [0, 1, 2, 1, 2]
    assert delays == [0.002, 0.004, 0.002, 0.004]


async def test_retrying_lets_other_errors_through() -> None:
    """An error not in retry_on ends the loop at once."""
    attempts: list[Attempt] = []

    async def loop() -> None:
        async for attempt in retrying(Backoff(interval=0.001), retry_on=(OSError,)):
            attempts.append(attempt)
            with attempt:
                raise ValueError("bug")

    with pytest.raises(ValueError, match="bug"):
        await loop()
    assert len(attempts) == 1
