"""ingest.runtime.backoff at its edges: each check of a policy, no failure, sub-second and capped
delays."""

from __future__ import annotations

import re

import pytest

from ingest.runtime.backoff import MAX_RETRY_AFTER, Backoff, backoff_delay, next_poll_delay

POSITIVE = "interval and max_backoff must be positive"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"interval": 0}, POSITIVE),
        ({"interval": -1}, POSITIVE),
        ({"interval": 1, "max_backoff": 0}, POSITIVE),
        ({"interval": 1, "max_backoff": 0.5}, None),
        ({"interval": 1, "max_backoff": -5}, POSITIVE),
        ({"interval": 1, "factor": 0.99}, "factor must be at least 1"),
        ({"interval": 1, "factor": 0}, "factor must be at least 1"),
        ({"interval": 1, "factor": 1.5}, None),
        ({"interval": 1, "jitter": -0.01}, "jitter must be within 0-1"),
        ({"interval": 1, "jitter": 1.01}, "jitter must be within 0-1"),
        ({"interval": 1, "jitter": 0.3}, None),
    ],
)
def test_each_bad_policy_is_refused_with_its_reason(
    options: dict[str, float], message: str | None
) -> None:
    """Every out-of-range option is a ValueError that says exactly what is wrong."""
    if message is None:
        assert Backoff(**options).interval == 1
        return
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Backoff(**options)


def test_policies_at_the_edges_are_accepted() -> None:
    """factor 1, jitter 0 and jitter 1 are valid policies and behave as written."""
    flat = Backoff(interval=3, factor=1, jitter=0)
    assert [backoff_delay(n, flat, draw=lambda: 0.7) for n in (1, 5, 50)] == [3, 3, 3]
    full = Backoff(interval=2, max_backoff=60, jitter=1)
    assert backoff_delay(2, full, draw=lambda: 0.25) == pytest.approx(8 * 0.75)
    assert backoff_delay(2, full, draw=lambda: 1.0) == 0.0


def test_no_failure_is_the_plain_interval_whatever_the_draw() -> None:
    """backoff_delay(0) and negative counts give the interval, with no jitter taken off."""
    policy = Backoff(interval=7, jitter=1)
    for failures in (0, -1, -100):
        assert backoff_delay(failures, policy, draw=lambda: 0.99) == 7
    assert backoff_delay(1, policy, draw=lambda: 0.0) == 14


def test_delays_under_a_second_back_off_and_cap() -> None:
    """A 50 ms interval doubles to its 200 ms cap: sub-second delays are not rounded to 1 s."""
    fast = Backoff(interval=0.05, max_backoff=0.2, jitter=0.5)
    delays = [backoff_delay(n, fast, draw=lambda: 0.0) for n in range(1, 5)]
    assert delays == pytest.approx([0.1, 0.2, 0.2, 0.2])
    assert backoff_delay(1, fast, draw=lambda: 1.0) == pytest.approx(0.05)
    assert next_poll_delay(fast, failures=0) == 0.05
    assert next_poll_delay(fast, failures=0, max_age=0.5) == pytest.approx(0.2)
    assert next_poll_delay(fast, failures=2, retry_after=0.3, draw=lambda: 0.0) == 0.3


def test_a_cap_below_the_interval_never_shortens_it() -> None:
    """max_backoff under the interval: failures and max-age still wait the interval."""
    policy = Backoff(interval=10, max_backoff=4, jitter=0)
    assert backoff_delay(3, policy) == 10
    assert next_poll_delay(policy, failures=0, max_age=60) == 10


def test_the_exponent_stops_at_64_failures() -> None:
    """A source failing all night: the growth stops at 2**64, no overflow, no other step."""
    policy = Backoff(interval=1, max_backoff=1e300, jitter=0)
    assert backoff_delay(64, policy) == 2.0**64
    assert backoff_delay(65, policy) == 2.0**64
    assert backoff_delay(10**9, policy) == 2.0**64
    assert backoff_delay(63, policy) == 2.0**63


def test_retry_after_above_an_hour_is_an_hour_even_after_a_success() -> None:
    """Retry-After is a floor after a good poll too, capped at MAX_RETRY_AFTER."""
    policy = Backoff(interval=5, max_backoff=300)
    assert next_poll_delay(policy, failures=0, retry_after=60) == 60
    assert next_poll_delay(policy, failures=0, retry_after=4) == 5
    assert next_poll_delay(policy, failures=0, retry_after=1e9) == MAX_RETRY_AFTER
    assert MAX_RETRY_AFTER == 3600.0


def test_retry_after_never_shortens_a_delay_longer_than_its_cap() -> None:
    """A backoff or a max-age past MAX_RETRY_AFTER stands against any Retry-After."""
    slow = Backoff(interval=60, max_backoff=4 * 3600.0, jitter=0)
    backed_off = backoff_delay(7, slow)  # 60 * 2**7 = 7680 s, over the hour
    assert backed_off == 7680
    for retry_after in (7680.0, 7000.0, 9000.0, 1e9):
        assert next_poll_delay(slow, failures=7, retry_after=retry_after) == backed_off
    assert next_poll_delay(slow, failures=0, max_age=7200, retry_after=7200) == 7200
    assert next_poll_delay(slow, failures=0, max_age=7200, retry_after=5000) == 7200
    hourly = Backoff(interval=2 * 3600.0)
    assert next_poll_delay(hourly, failures=0, retry_after=3 * 3600.0) == 2 * 3600.0
