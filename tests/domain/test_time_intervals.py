"""Time intervals, table-driven (Alertmanager's timeinterval semantics)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tocsin.config.time_intervals import SpecError, parse_spec
from tocsin.domain.time_intervals import TimeInterval

BERLIN = ZoneInfo("Europe/Berlin")


def at(*args: int, tz: ZoneInfo | None = None) -> datetime:
    return datetime(*args, tzinfo=tz or UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("spec", "instant", "inside"),
    [
        # times: [start, end) in minutes
        ({"times": [{"start_time": "09:00", "end_time": "17:00"}]}, at(2026, 3, 2, 9, 0), True),
        ({"times": [{"start_time": "09:00", "end_time": "17:00"}]}, at(2026, 3, 2, 16, 59), True),
        ({"times": [{"start_time": "09:00", "end_time": "17:00"}]}, at(2026, 3, 2, 17, 0), False),
        ({"times": [{"start_time": "00:00", "end_time": "24:00"}]}, at(2026, 3, 2, 23, 59), True),
        # weekdays (2026-03-02 is a Monday, 2026-03-01 a Sunday)
        ({"weekdays": ["monday:friday"]}, at(2026, 3, 2, 12), True),
        ({"weekdays": ["monday:friday"]}, at(2026, 3, 1, 12), False),
        ({"weekdays": ["Saturday", "sunday"]}, at(2026, 3, 1, 12), True),
        # days of month, negative from the end (February 2026 has 28 days)
        ({"days_of_month": ["1:5"]}, at(2026, 3, 5, 23), True),
        ({"days_of_month": ["1:5"]}, at(2026, 3, 6), False),
        ({"days_of_month": ["-1"]}, at(2026, 2, 28), True),
        ({"days_of_month": ["-1"]}, at(2026, 3, 30), False),
        ({"days_of_month": ["-3:-1"]}, at(2026, 2, 26), True),
        ({"days_of_month": ["-3:-1"]}, at(2026, 2, 25), False),
        ({"days_of_month": ["29:31"]}, at(2026, 2, 28), False),  # no such days in February
        ({"days_of_month": ["20:-1"]}, at(2026, 2, 27), True),
        # months and years
        ({"months": ["january:march"]}, at(2026, 3, 31), True),
        ({"months": ["11", "december"]}, at(2026, 12, 1), True),
        ({"months": ["january:march"]}, at(2026, 4, 1), False),
        ({"years": ["2025:2026"]}, at(2026, 12, 31, 23), True),
        ({"years": ["2027"]}, at(2026, 12, 31, 23), False),
        # every field must hold
        (
            {
                "weekdays": ["monday:friday"],
                "times": [{"start_time": "09:00", "end_time": "17:00"}],
            },
            at(2026, 3, 2, 18),
            False,
        ),
        # location: 08:30 UTC is 09:30 in Berlin in winter, 10:30 in summer
        (
            {"times": [{"start_time": "09:00", "end_time": "10:00"}], "location": "Europe/Berlin"},
            at(2026, 3, 2, 8, 30),
            True,
        ),
        (
            {"times": [{"start_time": "09:00", "end_time": "10:00"}], "location": "Europe/Berlin"},
            at(2026, 7, 2, 8, 30),
            False,
        ),
        # the weekday is the local one: Sunday 23:30 UTC is Monday 00:30 in Berlin
        ({"weekdays": ["monday"], "location": "Europe/Berlin"}, at(2026, 3, 1, 23, 30), True),
        ({}, at(2026, 3, 1), True),  # an empty entry contains everything
    ],
)
def test_contains(spec: dict, instant: datetime, inside: bool) -> None:
    assert parse_spec(spec).contains(instant) is inside


def test_a_named_interval_is_any_of_its_entries() -> None:
    interval = TimeInterval(
        "offhours",
        (
            parse_spec({"weekdays": ["saturday", "sunday"]}),
            parse_spec({"times": [{"start_time": "18:00", "end_time": "24:00"}]}),
        ),
    )
    assert interval.contains(at(2026, 3, 1, 12))  # Sunday
    assert interval.contains(at(2026, 3, 2, 19))  # Monday evening
    assert not interval.contains(at(2026, 3, 2, 12))


@pytest.mark.parametrize(
    ("spec", "keys", "problem"),
    [
        (
            {"times": [{"start_time": "17:00", "end_time": "09:00"}]},
            ["times", 0],
            "before end_time",
        ),
        ({"times": [{"start_time": "9:00", "end_time": "17:00"}]}, ["times", 0], "HH:MM"),
        ({"times": [{"start_time": "09:00", "end_time": "24:01"}]}, ["times", 0], "24:00"),
        ({"weekdays": ["friday:monday"]}, ["weekdays", 0], "start is after end"),
        ({"weekdays": ["funday"]}, ["weekdays", 0], "unknown name"),
        ({"days_of_month": ["0"]}, ["days_of_month", 0], "out of range"),
        ({"days_of_month": ["32"]}, ["days_of_month", 0], "out of range"),
        ({"months": ["13"]}, ["months", 0], "out of range"),
        ({"years": ["2027:2026"]}, ["years", 0], "start is after end"),
        ({"location": "Mars/Olympus"}, ["location"], "unknown time zone"),
        ({"hours": ["1"]}, ["hours"], "not a known field"),
    ],
)
def test_bad_specs_name_the_key(spec: dict, keys: list, problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(spec)
    assert caught.value.keys == keys and problem in str(caught.value)
