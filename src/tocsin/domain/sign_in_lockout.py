"""Backoff and lockout after failed sign-ins: pure decisions on one counter (an account's,
or a client address's).

Each try is counted *before* the password is checked, so a burst of parallel tries gets no
more than a patient attacker. After ``max_failures`` tries within ``window`` that did not
succeed, the counter is locked for ``lockout``; each further lockout in a row lasts twice
the last, up to ``lockout_max``. A success (or an admin) clears the counter."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

__all__ = ["Counter", "LockoutPolicy", "counted", "failed", "is_locked", "lockout_length"]


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=1)
    lockout_max: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Counter:
    failures: int
    window_start: datetime
    lockouts: int = 0
    locked_until: datetime | None = None


def is_locked(counter: Counter | None, now: datetime) -> bool:
    return counter is not None and counter.locked_until is not None and now < counter.locked_until


def lockout_length(lockouts: int, policy: LockoutPolicy) -> timedelta:
    """How long the ``lockouts``-th lockout in a row lasts (1, 2, 4 ... capped)."""
    length = policy.lockout * (2 ** min(max(lockouts - 1, 0), 30))
    return min(length, policy.lockout_max)


def _lock(counter: Counter, now: datetime, policy: LockoutPolicy) -> Counter:
    lockouts = counter.lockouts + 1
    return Counter(0, now, lockouts, now + lockout_length(lockouts, policy))


def counted(counter: Counter | None, now: datetime, policy: LockoutPolicy) -> Counter:
    """The counter with one more try (checked before the password). A counter whose window
    has passed starts again; lockouts in a row are forgotten once a whole ``lockout_max``
    has passed since the last ended."""
    if counter is None:
        return Counter(1, now)
    lockouts = counter.lockouts
    if counter.locked_until is not None and now - counter.locked_until >= policy.lockout_max:
        lockouts = 0
    if now - counter.window_start >= policy.window:
        return Counter(1, now, lockouts, counter.locked_until)
    return replace(counter, failures=counter.failures + 1, lockouts=lockouts)


def failed(counter: Counter, now: datetime, policy: LockoutPolicy) -> Counter:
    """The counted try was a wrong password: the ``max_failures``-th locks the counter."""
    if counter.failures >= policy.max_failures:
        return _lock(counter, now, policy)
    return counter
