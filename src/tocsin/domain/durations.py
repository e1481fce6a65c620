"""How long something took, in words people scan: the web pages, the CLI and postmortems
all write a span the same way."""

from __future__ import annotations

from datetime import timedelta

__all__ = ["duration_text"]


def duration_text(length: timedelta | None, none: str = "") -> str:
    """``3d 4h``, ``2h 05m``, ``4m 10s``, ``12s``: two units at most; ``none`` for no span."""
    if length is None:
        return none
    seconds = max(0, int(length.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
