"""Times people type into ``datetime-local`` inputs, which carry no zone: read in the
viewer's zone, with the schedules' rules for wall times the clocks skip or repeat."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tocsin.domain.wallclock import resolve_first

__all__ = ["parse_local"]


def parse_local(value: str, zone: ZoneInfo) -> datetime | None:
    """A typed date and time: ``2026-03-01T20:00`` in ``zone`` (a wall time the clocks skip
    becomes the moment they spring to), or ISO 8601 with an offset. None: not one."""
    text = value.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
        if not 1970 <= parsed.year <= 9000:  # far ends overflow in time zone arithmetic
            return None
        if parsed.tzinfo is None:
            return resolve_first(parsed.replace(second=0, microsecond=0), zone)
        return parsed.astimezone(zone)
    except (ValueError, OverflowError):
        return None
