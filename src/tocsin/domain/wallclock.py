"""Wall-clock times to instants, exactly as ../specs/schedules.md fixes them (GoAlert's rules).

Schedules do their arithmetic ("+1 day", "+8 hours") on naive local date-times; only the result
becomes an instant. A wall time that occurs twice (the clocks fall back) resolves to its first
occurrence for starts and its last for ends; one that does not occur (the clocks spring
forward) resolves to the transition instant, the first instant after the gap. (Python's
``replace(tzinfo=...)`` would put New York's 02:30 on a spring-forward night at 03:30.)
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["local", "resolve_first", "resolve_last", "start_of_day"]


def _candidates(wall: datetime, zone: ZoneInfo) -> list[datetime]:
    """The instants (UTC) whose local time in ``zone`` is ``wall``: none, one or two."""
    found = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall and instant not in found:
            found.append(instant)
    return sorted(found)


def _transition(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first instant after the gap that swallows ``wall``."""
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)  # the offset after: too early
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # the offset before: too late
    low, high = min(low, high), max(low, high)
    after = high.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).utcoffset() == after:
            high = mid
        else:
            low = mid
    return high


@functools.lru_cache(maxsize=65536)
def resolve_first(wall: datetime, zone: ZoneInfo) -> datetime:
    """Handoffs and window starts: the first occurrence, or the end of the gap."""
    found = _candidates(wall, zone)
    return found[0] if found else _transition(wall, zone)


@functools.lru_cache(maxsize=65536)
def resolve_last(wall: datetime, zone: ZoneInfo) -> datetime:
    """Window ends: the last occurrence, or the end of the gap."""
    found = _candidates(wall, zone)
    return found[-1] if found else _transition(wall, zone)


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """When ``day`` begins in ``zone``: its midnight, or the first instant after midnight
    where the clocks skip it."""
    return resolve_first(datetime.combine(day, time(0)), zone)


def local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive local date-time of an instant."""
    return instant.astimezone(zone).replace(tzinfo=None)
