"""Token buckets: how many requests one sender may make, sustained and in a burst.

A bucket holds up to ``burst`` tokens and gains ``per_minute / 60`` of one each second; a
request takes one. Full, it lets ``burst`` requests through at once; empty, one every
``60 / per_minute`` seconds. Pure: the caller passes ``now``. A clock that steps back
(the wall clock corrected) refills nothing and is counted from where it now stands."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

__all__ = ["Bucket", "RateLimit", "retry_after"]

#: Float slack: a bucket refilled for exactly the time ``retry_after`` named has its token.
_EPSILON = 1e-9


@dataclass(frozen=True, slots=True)
class RateLimit:
    per_minute: int
    burst: int

    def __post_init__(self) -> None:
        if self.per_minute < 1:
            raise ValueError("a rate limit allows at least 1 request a minute")
        if self.burst < 1:
            raise ValueError("a rate limit's burst is at least 1 request")

    @property
    def per_second(self) -> float:
        return self.per_minute / 60

    def __str__(self) -> str:
        return f"{self.per_minute} requests a minute, {self.burst} at once"


class Bucket:
    """One sender's tokens: ``tokens`` as of ``updated``."""

    __slots__ = ("tokens", "updated")

    def __init__(self, limit: RateLimit, now: datetime) -> None:
        self.tokens = float(limit.burst)
        self.updated = now

    def refill(self, limit: RateLimit, now: datetime) -> None:
        elapsed = (now - self.updated).total_seconds()
        if elapsed > 0:
            self.tokens = min(float(limit.burst), self.tokens + elapsed * limit.per_second)
        self.updated = now

    def take(self, limit: RateLimit, now: datetime) -> float:
        """Take a token: 0.0 if there was one; else (nothing taken) the seconds until there is."""
        self.refill(limit, now)
        if self.tokens >= 1 - _EPSILON:
            self.tokens = max(self.tokens - 1, 0.0)
            return 0.0
        return (1 - self.tokens) / limit.per_second

    def full(self, limit: RateLimit, now: datetime) -> bool:
        """Whether it would be full by ``now``: forgetting it then loses nothing."""
        elapsed = max((now - self.updated).total_seconds(), 0.0)
        return self.tokens + elapsed * limit.per_second >= limit.burst - _EPSILON


def retry_after(wait: float) -> int:
    """The ``Retry-After`` for a wait of ``wait`` seconds: whole seconds, at least 1."""
    return max(1, math.ceil(wait - _EPSILON))
