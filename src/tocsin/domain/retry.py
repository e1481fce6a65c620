"""When to try again after a failure: capped exponential backoff."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["backoff"]


def backoff(
    attempts: int,
    *,
    base: timedelta = timedelta(seconds=5),
    cap: timedelta = timedelta(minutes=10),
) -> timedelta:
    """Delay before attempt ``attempts + 1``: base, 2*base, 4*base ... never above ``cap``."""
    if attempts < 1:
        return timedelta(0)
    return min(cap, base * (2 ** min(attempts - 1, 30)))
