"""A short per-process memory of token lookups by digest (found or not), so checking a
token stays off the database on the hot path. A token revoked or rotated on another node
stops working here as soon as the change feed says so (the cache is cleared), and in any case
within the cache's lifetime."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["TokenCache"]

T = TypeVar("T")
#: Past this many digests the memory starts again (a flood of wrong tokens stays bounded).
MOST = 10_000


class TokenCache(Generic[T]):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._found: dict[str, tuple[T | None, float]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str, load: Callable[[str], T | None]) -> T | None:
        """What ``digest`` names: remembered, else ``load(digest)`` (remembered a while)."""
        now = time.monotonic()
        with self._lock:
            cached = self._found.get(digest)
            if cached is not None and cached[1] > now:
                return cached[0]
        found = load(digest)
        with self._lock:
            if len(self._found) > MOST:
                self._found.clear()
            self._found[digest] = (found, now + self.seconds)
        return found

    def forget(self, digest: str) -> None:
        with self._lock:
            self._found.pop(digest, None)

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
