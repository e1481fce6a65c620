"""Alertmanager time intervals: when ``mute_time_intervals`` / ``active_time_intervals`` apply.

An interval entry contains an instant when every field it sets contains it (times, weekdays,
days of month, months, years), evaluated in its ``location`` (UTC by default); a named time
interval contains an instant when any of its entries does. Ranges are inclusive except times
of day, which are ``[start, end)`` in minutes; negative days of month count from the month's
end (-1 is the last day), exactly as Alertmanager's ``timeinterval`` package.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["IntRange", "TimeInterval", "TimeIntervalSpec", "TimeRange"]


@dataclass(frozen=True)
class TimeRange:
    start_minute: int  # 0..1440
    end_minute: int


@dataclass(frozen=True)
class IntRange:
    begin: int
    end: int


@dataclass(frozen=True)
class TimeIntervalSpec:
    times: tuple[TimeRange, ...] = ()
    weekdays: tuple[IntRange, ...] = ()  # 0 = Sunday .. 6 = Saturday, as Go's time.Weekday
    days_of_month: tuple[IntRange, ...] = ()
    months: tuple[IntRange, ...] = ()  # 1..12
    years: tuple[IntRange, ...] = ()
    location: str = "UTC"

    def contains(self, instant: datetime) -> bool:
        t = instant.astimezone(ZoneInfo(self.location))
        if self.times:
            minute = t.hour * 60 + t.minute
            if not any(r.start_minute <= minute < r.end_minute for r in self.times):
                return False
        if self.weekdays:
            weekday = (t.weekday() + 1) % 7  # Python: Monday = 0; Go: Sunday = 0
            if not any(r.begin <= weekday <= r.end for r in self.weekdays):
                return False
        if self.days_of_month and not _in_days_of_month(self.days_of_month, t):
            return False
        if self.months and not any(r.begin <= t.month <= r.end for r in self.months):
            return False
        return not self.years or any(r.begin <= t.year <= r.end for r in self.years)


def _in_days_of_month(ranges: tuple[IntRange, ...], t: datetime) -> bool:
    days = calendar.monthrange(t.year, t.month)[1]
    for r in ranges:
        begin = days + r.begin + 1 if r.begin < 0 else r.begin
        end = days + r.end + 1 if r.end < 0 else r.end
        if begin > days:
            continue  # the range does not reach into this month
        begin, end = max(-days, min(begin, days)), max(-days, min(end, days))
        if begin <= t.day <= end:
            return True
    return False


@dataclass(frozen=True)
class TimeInterval:
    name: str
    specs: tuple[TimeIntervalSpec, ...]

    def contains(self, instant: datetime) -> bool:
        return any(spec.contains(instant) for spec in self.specs)
