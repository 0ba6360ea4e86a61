"""Tests for ingest.runtime.backoff: the next poll's delay, with backoff, jitter and server
hints."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.runtime.backoff import MAX_RETRY_AFTER, Backoff, backoff_delay, next_poll_delay

POLICY = Backoff(interval=5, max_backoff=300, jitter=0.5)


def test_success_waits_the_interval() -> None:
    """After a good poll the delay is the interval."""
    assert next_poll_delay(POLICY, failures=0, draw=lambda: 0.9) == 5


def test_errors_back_off_exponentially_up_to_the_cap() -> None:
    """Each failure doubles the ceiling, never past max_backoff."""
    delays = [backoff_delay(n, POLICY, draw=lambda: 0.0) for n in range(1, 10)]
    assert delays[:4] == [10, 20, 40, 80]
    assert max(delays) == 300


def test_jitter_takes_off_at_most_its_fraction() -> None:
    """A full draw takes off the jitter fraction, no more."""
    assert backoff_delay(2, POLICY, draw=lambda: 1.0) == pytest.approx(10)
    assert backoff_delay(2, POLICY, draw=lambda: 0.5) == pytest.approx(15)


def test_retry_after_is_a_floor_capped_at_an_hour() -> None:
    """Retry-After lengthens the delay, up to MAX_RETRY_AFTER."""
    assert next_poll_delay(POLICY, failures=1, retry_after=120, draw=lambda: 0) == 120
    assert next_poll_delay(POLICY, failures=1, retry_after=1, draw=lambda: 0) == 10
    assert next_poll_delay(POLICY, failures=1, retry_after=10**9, draw=lambda: 0) == MAX_RETRY_AFTER


def test_max_age_lengthens_a_success_within_the_cap() -> None:
    """Cache-Control max-age delays the next poll, never past max_backoff."""
    assert next_poll_delay(POLICY, failures=0, max_age=30) == 30
    assert next_poll_delay(POLICY, failures=0, max_age=0) == 5
    assert next_poll_delay(POLICY, failures=0, max_age=31_536_000) == 300


def test_bad_policies_rejected() -> None:
    """Non-positive intervals and jitter outside 0-1 are refused."""
    with pytest.raises(ValueError, match="positive"):
        Backoff(interval=0)
    with pytest.raises(ValueError, match="jitter"):
        Backoff(interval=1, jitter=2)


@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0, max_value=1))
def test_delay_always_within_bounds(failures: int, draw: float) -> None:
    """Whatever the failures and the draw, the delay is within [interval/2, max_backoff]."""
    delay = next_poll_delay(POLICY, failures=failures, draw=lambda: draw)
    assert POLICY.interval * 0.5 <= delay <= POLICY.max_backoff
