"""Parse Alertmanager's time interval syntax into ``domain.time_intervals`` objects.

times: [{start_time: "09:00", end_time: "17:00"}]
weekdays: ["monday:friday", "sunday"]
days_of_month: ["1:5", "-3:-1"]
months: ["january:march", "12"]
years: ["2026:2027"]
location: "Europe/Berlin"
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.domain.time_intervals import IntRange, TimeIntervalSpec, TimeRange

__all__ = ["parse_spec"]

WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
MONTHS = [
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
]  # fmt: skip
_TIME = re.compile(r"^(\d{2}):(\d{2})$", re.ASCII)
#: A number as Alertmanager reads one (Go's Atoi): ASCII digits, an optional sign.
_NUMBER = re.compile(r"^[-+]?\d+$", re.ASCII)
_FIELDS = {"times", "weekdays", "days_of_month", "months", "years", "location"}


class SpecError(ValueError):
    def __init__(self, keys: list[str | int], problem: str) -> None:
        super().__init__(problem)
        self.keys = keys


def _minute(text: Any, key: str) -> int:
    match = _TIME.match(text) if isinstance(text, str) else None
    if not match or int(match.group(2)) > 59 or int(match.group(1)) > 24:
        raise ValueError(f"{key} {text!r} is not a time of day HH:MM (00:00 to 24:00)")
    minute = int(match.group(1)) * 60 + int(match.group(2))
    if minute > 1440:
        raise ValueError(f"{key} {text!r} is after 24:00")
    return minute


def _ranges(
    items: Any, field: str, value_of: Callable[[str], int], low: int, high: int
) -> tuple[IntRange, ...]:
    if not isinstance(items, list):
        raise SpecError([field], "must be a list of ranges like 'start:end'")
    out = []
    for i, item in enumerate(items):
        parts = str(item).split(":")
        if len(parts) > 2 or not all(parts):
            raise SpecError([field, i], f"{item!r} is not a value or a 'start:end' range")
        try:
            begin, end = value_of(parts[0]), value_of(parts[-1])
        except ValueError as exc:
            raise SpecError([field, i], str(exc)) from None
        for value in (begin, end):
            if not (low <= value <= high) or value == 0 and field == "days_of_month":
                raise SpecError([field, i], f"{value} is out of range in {item!r}")
        if field == "days_of_month":
            if (begin < 0) == (end < 0) and begin > end:
                raise SpecError([field, i], f"start is after end in {item!r}")
        elif begin > end:
            raise SpecError([field, i], f"start is after end in {item!r}")
        out.append(IntRange(begin, end))
    return tuple(out)


def _named(names: list[str]) -> Callable[[str], int]:
    def value(text: str) -> int:
        name = text.strip().lower()
        if name in names:
            return names.index(name) + (1 if names is MONTHS else 0)
        if names is MONTHS and _NUMBER.match(name):
            return int(name)
        raise ValueError(f"unknown name {text!r}")

    return value


def _integer(text: str) -> int:
    if not _NUMBER.match(text):
        raise ValueError(f"{text!r} is not a number")
    return int(text)


def parse_spec(raw: Any) -> TimeIntervalSpec:
    """One entry of a time interval's ``time_intervals`` list; SpecError names the key."""
    if not isinstance(raw, dict):
        raise SpecError([], "must be a mapping of times, weekdays, days_of_month, months, ...")
    for key in raw:
        if key not in _FIELDS:
            raise SpecError([key], "is not a known field")
    times = []
    if not isinstance(raw.get("times") or [], list):
        raise SpecError(["times"], "must be a list of start_time/end_time mappings")
    for i, item in enumerate(raw.get("times") or []):
        if not isinstance(item, dict):
            raise SpecError(["times", i], "must have start_time and end_time")
        try:
            start = _minute(item.get("start_time"), "start_time")
            end = _minute(item.get("end_time"), "end_time")
        except ValueError as exc:
            raise SpecError(["times", i], str(exc)) from None
        if start >= end:
            raise SpecError(["times", i], "start_time must be before end_time")
        times.append(TimeRange(start, end))
    location = raw.get("location") or "UTC"
    try:
        ZoneInfo(str(location))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, "America"
        raise SpecError(["location"], f"unknown time zone {location!r}") from None
    return TimeIntervalSpec(
        times=tuple(times),
        weekdays=_ranges(raw.get("weekdays") or [], "weekdays", _named(WEEKDAYS), 0, 6),
        days_of_month=_ranges(raw.get("days_of_month") or [], "days_of_month", _integer, -31, 31),
        months=_ranges(raw.get("months") or [], "months", _named(MONTHS), 1, 12),
        years=_ranges(raw.get("years") or [], "years", _integer, 1, 9999),
        location=str(location),
    )
