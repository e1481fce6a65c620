"""Backoff and lockout decisions on one counter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.sign_in_lockout import (
    LockoutPolicy,
    counted,
    failed,
    is_locked,
    lockout_length,
)

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
POLICY = LockoutPolicy()


@pytest.mark.parametrize(
    ("lockouts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (6, 32), (7, 60), (8, 60), (500, 60)],
)
def test_each_lockout_doubles_up_to_the_cap(lockouts, minutes):
    assert lockout_length(lockouts, POLICY) == timedelta(minutes=minutes)


def test_the_fifth_failure_within_the_window_locks():
    counter = None
    for i in range(4):
        counter = failed(counted(counter, T0 + timedelta(minutes=i), POLICY), T0, POLICY)
        assert not is_locked(counter, T0 + timedelta(minutes=i))
    now = T0 + timedelta(minutes=4)
    counter = failed(counted(counter, now, POLICY), now, POLICY)
    assert is_locked(counter, now) and counter.locked_until == now + timedelta(minutes=1)
    assert not is_locked(counter, now + timedelta(minutes=1))


def test_failures_spread_beyond_the_window_never_lock():
    counter = None
    for i in range(20):
        now = T0 + timedelta(minutes=4 * i)
        counter = failed(counted(counter, now, POLICY), now, POLICY)
        assert not is_locked(counter, now)


def test_lockouts_in_a_row_are_forgotten_after_a_quiet_hour():
    counter = None
    now = T0
    for _ in range(5):
        counter = failed(counted(counter, now, POLICY), now, POLICY)
    assert counter.lockouts == 1
    now = counter.locked_until + timedelta(hours=1)
    for _ in range(5):
        counter = failed(counted(counter, now, POLICY), now, POLICY)
    assert counter.lockouts == 1 and counter.locked_until == now + timedelta(minutes=1)
