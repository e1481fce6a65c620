"""Waiting for something another thread or process does, with a deadline (never a blind
sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["wait_until"]


def wait_until(what: Callable[[], bool], seconds: float, step: float = 0.05) -> bool:
    """Poll ``what`` until it holds or ``seconds`` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if what():
            return True
        time.sleep(step)
    return what()
