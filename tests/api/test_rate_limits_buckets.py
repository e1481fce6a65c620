"""The token bucket (``domain.rate_limits``) and the limiter's keys (``services.rate_limits``),
without HTTP: exact waits, a clock that steps back, and forgetting idle buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.rate_limits import Bucket, RateLimit, retry_after
from tocsin.engine.clock import FakeClock
from tocsin.services import rate_limits as service
from tocsin.services.rate_limits import RateLimited, RateLimits

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_full_bucket_lets_a_burst_through_then_one_per_interval() -> None:
    limit = RateLimit(per_minute=30, burst=3)  # one every 2 s
    bucket = Bucket(limit, T0)
    assert [bucket.take(limit, T0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(limit, T0) == pytest.approx(2.0)
    assert bucket.take(limit, T0 + timedelta(seconds=1.5)) == pytest.approx(0.5)
    assert bucket.take(limit, T0 + timedelta(seconds=2)) == 0.0
    # An idle hour refills it to the burst, no further.
    later = T0 + timedelta(hours=1)
    assert [bucket.take(limit, later) for _ in range(4)][:3] == [0.0, 0.0, 0.0]
    assert bucket.take(limit, later) > 0


@given(
    per_minute=st.integers(min_value=1, max_value=100_000),
    burst=st.integers(min_value=1, max_value=50),
    spent=st.integers(min_value=0, max_value=60),
)
def test_waiting_the_retry_after_given_always_gets_in(
    per_minute: int, burst: int, spent: int
) -> None:
    """Whatever the rate, Retry-After (whole seconds, rounded up) is never too short."""
    limit = RateLimit(per_minute, burst)
    bucket = Bucket(limit, T0)
    now = T0
    for _ in range(burst + spent):
        wait = bucket.take(limit, now)
        if wait:
            seconds = retry_after(wait)
            assert seconds >= 1 and seconds >= wait - 1e-6
            now += timedelta(seconds=seconds)
            assert bucket.take(limit, now) == 0.0


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert retry_after(0.001) == 1
    assert retry_after(1.0) == 1
    assert retry_after(1.2) == 2
    assert retry_after(6.000000000000001) == 6  # float noise does not add a second


def test_a_clock_stepping_back_refills_nothing_and_is_not_stuck() -> None:
    limit = RateLimit(per_minute=60, burst=1)
    bucket = Bucket(limit, T0)
    assert bucket.take(limit, T0) == 0.0
    earlier = T0 - timedelta(hours=1)  # the wall clock corrected backwards
    assert bucket.take(limit, earlier) == pytest.approx(1.0)
    # Counted from where the clock now is: a second later there is a token again.
    assert bucket.take(limit, earlier + timedelta(seconds=1)) == 0.0


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="at least 1 request a minute"):
        RateLimit(0, 1)
    with pytest.raises(ValueError, match="burst"):
        RateLimit(1, 0)


def test_refusal_names_the_limit_and_the_wait() -> None:
    clock = FakeClock(T0)
    limits = RateLimits(clock, integration=None, api=RateLimit(per_minute=2, burst=1))
    limits.api_token(1, "ci")
    with pytest.raises(RateLimited) as refused:
        limits.api_token(1, "ci")
    assert refused.value.retry_after == 30
    assert str(refused.value) == (
        "rate limited: api_token 'ci' may make 2 requests a minute, 1 at once; retry after 30 s"
    )


def test_idle_buckets_are_forgotten_beyond_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "MAX_KEYS", 4)
    clock = FakeClock(T0)
    limit = RateLimit(per_minute=60, burst=1)
    limits = RateLimits(clock, integration=limit, api=None)
    for key in ("a", "b", "c", "d"):
        assert limits.wait(key, limit) == 0.0
    clock.advance(timedelta(seconds=1))  # all four are full again: nothing to remember
    assert limits.wait("e", limit) == 0.0
    assert limits.wait("e", limit) > 0  # its own bucket is kept
    assert limits.wait("a", limit) == 0.0  # forgotten while full: loses nothing
    # When none is full, the least recently used half goes; the newest are kept.
    for key in ("f", "g"):
        limits.wait(key, limit)
    assert limits.wait("h", limit) == 0.0
    assert limits.wait("h", limit) > 0
    assert limits.wait("g", limit) > 0
