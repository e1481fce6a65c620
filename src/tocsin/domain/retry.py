"""When to try again after a failure: capped exponential backoff."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["backoff", "jittered"]


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


def jittered(delay: timedelta, random: float, *, spread: float = 0.2) -> timedelta:
    """``delay`` moved by up to ``spread`` either way, ``random`` in [0, 1) choosing where, so
    that many senders failing together do not retry in step."""
    return delay * (1 - spread + 2 * spread * random)
