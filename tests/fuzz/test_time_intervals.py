"""Time intervals: weekday, day-of-month, month, year and time-of-day ranges
(config/time_intervals.py)."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import SCALARS, documents
from tocsin.config.time_intervals import MONTHS, WEEKDAYS, SpecError, parse_spec
from tocsin.domain.time_intervals import IntRange, TimeRange

FIELDS = ["times", "weekdays", "days_of_month", "months", "years", "location"]
RANGE_TEXT = st.text(st.sampled_from(list("0123456789:-mondayjanuary ")), max_size=12)
CLOCK = st.text(st.sampled_from(list("0123456789:")), max_size=6)


def _entries() -> st.SearchStrategy[dict[str, Any]]:
    ranges = st.lists(RANGE_TEXT | SCALARS, max_size=3)
    times = st.lists(
        st.fixed_dictionaries({"start_time": CLOCK | SCALARS, "end_time": CLOCK | SCALARS})
        | documents(),
        max_size=2,
    )
    value = st.one_of(
        ranges,
        times,
        documents(),
        st.sampled_from(["UTC", "Europe/Berlin", "x", "America", "../x"]),
    )
    return st.dictionaries(st.sampled_from([*FIELDS, "other"]), value, max_size=4)


@FUZZ
@given(_entries() | documents())
# Defects found: a scalar ``times`` raised TypeError, a zone directory IsADirectoryError,
# and non-ASCII digits or "1_000" were taken for numbers.
@example({"times": 5})
@example({"location": "America"})
@example({"times": [{"start_time": "\u0660\u0669:00", "end_time": "10:00"}]})
@example({"years": ["1_000"]})
def test_any_spec_parses_or_names_its_key(raw: Any) -> None:
    try:
        spec = parse_spec(raw)
    except SpecError as exc:
        assert str(exc)
        if exc.keys:
            assert exc.keys[0] in raw
        return
    for r in spec.times:
        assert 0 <= r.start_minute < r.end_minute <= 1440
    for item in [*(raw.get("years") or []), *(raw.get("days_of_month") or [])]:
        assert re.fullmatch(r"[-+]?[0-9]+(:[-+]?[0-9]+)?", str(item)), item


@FUZZ
@given(st.integers(0, 6), st.integers(0, 6), st.booleans())
def test_weekday_ranges(a: int, b: int, upper: bool) -> None:
    text = f"{WEEKDAYS[a]}:{WEEKDAYS[b]}"
    text = text.upper() if upper else text
    try:
        spec = parse_spec({"weekdays": [text]})
    except SpecError as exc:
        assert a > b and exc.keys == ["weekdays", 0]
        return
    assert spec.weekdays == (IntRange(a, b),)


@FUZZ
@given(st.integers(1, 12), st.integers(1, 12), st.booleans())
def test_month_ranges_by_name_or_number(a: int, b: int, named: bool) -> None:
    text = f"{MONTHS[a - 1]}:{MONTHS[b - 1]}" if named else f"{a}:{b}"
    try:
        spec = parse_spec({"months": [text]})
    except SpecError:
        assert a > b
        return
    assert spec.months == (IntRange(a, b),)


@FUZZ
@given(st.integers(-40, 40), st.integers(-40, 40))
def test_days_of_month(a: int, b: int) -> None:
    try:
        spec = parse_spec({"days_of_month": [f"{a}:{b}"]})
    except SpecError:
        assert (
            not (-31 <= a <= 31 and -31 <= b <= 31) or 0 in (a, b) or ((a < 0) == (b < 0) and a > b)
        )
        return
    assert spec.days_of_month == (IntRange(a, b),)


@FUZZ
@given(st.integers(0, 24), st.integers(0, 59), st.integers(0, 24), st.integers(0, 59))
def test_times_of_day(h1: int, m1: int, h2: int, m2: int) -> None:
    start, end = h1 * 60 + m1, h2 * 60 + m2
    raw = {"times": [{"start_time": f"{h1:02d}:{m1:02d}", "end_time": f"{h2:02d}:{m2:02d}"}]}
    try:
        spec = parse_spec(raw)
    except SpecError:
        assert start >= end or end > 1440 or start > 1440
        return
    assert spec.times == (TimeRange(start, end),)
