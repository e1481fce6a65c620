"""The one place Tocsin reads the wall clock. Everything else is handed ``now``."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "FakeClock", "ScaledClock", "SystemClock"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that moves only when told to; tests fast-forward it instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


class ScaledClock:
    """Wall time sped up ``rate`` times from ``origin``: with rate 60 a minute passes in a
    second. For tests of whole processes (a server killed and restarted between escalation
    levels) and for demos; every process given the same origin and rate agrees on the time."""

    def __init__(self, origin: datetime, rate: float) -> None:
        if origin.tzinfo is None:
            raise ValueError("ScaledClock needs an aware origin")
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.origin = origin
        self.rate = rate

    def now(self) -> datetime:
        real = datetime.now(UTC)
        return self.origin + (real - self.origin) * self.rate
