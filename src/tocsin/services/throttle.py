"""Too many wrong passwords: a limit on tries per account within a window.

Each try is counted before the password is checked, under a lock, so a burst of parallel
requests gets no more tries than a patient attacker. Counted per process (each node of a
cluster has its own count)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

__all__ = ["Throttle"]

#: Beyond this many keys, those with no recent try are forgotten.
MAX_KEYS = 10_000


class Throttle:
    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit = limit
        self.window = window
        self._tries: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def attempt(self, key: str, now: datetime) -> bool:
        """Count a try for ``key``; False (and not counted) when it has had its tries."""
        with self._lock:
            recent = [t for t in self._tries.get(key, ()) if now - t < self.window]
            if len(recent) >= self.limit:
                self._tries[key] = recent
                return False
            self._tries[key] = [*recent, now]
            if len(self._tries) > MAX_KEYS:
                self._forget_old(now)
            return True

    def succeeded(self, key: str) -> None:
        """The right password: its earlier tries no longer count."""
        with self._lock:
            self._tries.pop(key, None)

    def _forget_old(self, now: datetime) -> None:
        for key in [k for k, tries in self._tries.items() if now - tries[-1] >= self.window]:
            del self._tries[key]
