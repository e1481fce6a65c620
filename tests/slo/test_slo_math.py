"""SLO math against the worked numbers of shared/specs/slo.md, and its properties."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tocsin.domain.slo import (
    BurnWindow,
    Counts,
    Objective,
    Severity,
    bucket_le,
    burn_factor,
    burn_rate,
    consumed_in,
    default_windows,
    error_ratio,
    firing,
    good_timeslices,
    time_to_exhaust,
)

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
MONTH = 30 * DAY
SLO = Objective(99.9, MONTH)


def test_the_worked_example() -> None:
    assert SLO.budget_ratio == pytest.approx(0.001)
    assert SLO.budget_time / timedelta(minutes=1) == pytest.approx(43.2)
    assert burn_rate(0.0144, SLO) == pytest.approx(14.4)
    assert consumed_in(14.4, HOUR, 720 * HOUR) == pytest.approx(0.02)
    exhausted = time_to_exhaust(14.4, MONTH)
    assert exhausted is not None and exhausted / HOUR == pytest.approx(50)
    assert burn_factor(2, MONTH, HOUR) == pytest.approx(14.4)


@pytest.mark.parametrize(
    ("target", "period", "minutes"),
    [
        (99.9, MONTH, 43.2),
        (99.9, 28 * DAY, 40.32),
        (99.0, 7 * DAY, 100.8),
        (99.99, MONTH, 4.32),
        (99.5, MONTH, 216.0),
    ],
)
def test_budget_as_time(target: float, period: timedelta, minutes: float) -> None:
    budget = Objective(target, period).budget_time
    assert budget / timedelta(minutes=1) == pytest.approx(minutes)


def test_budget_consumed_and_remaining() -> None:
    assert SLO.consumed(0.0005) == pytest.approx(0.5)
    assert SLO.remaining(0.0005) == pytest.approx(0.5)
    assert SLO.remaining_time(0.0005) / timedelta(minutes=1) == pytest.approx(21.6)
    assert SLO.remaining(0.002) == pytest.approx(-1.0)  # overspent: negative
    assert SLO.remaining(None) == 1.0  # no events: nothing consumed
    assert SLO.sli(0.0005) == pytest.approx(0.9995) and SLO.sli(None) is None


def test_error_ratio_is_a_ratio_of_sums() -> None:
    minutes = [Counts(good=99, total=100), Counts(good=0, total=1)]  # 2 bad of 101
    assert error_ratio(Counts.sum(minutes)) == pytest.approx(2 / 101)
    assert error_ratio(Counts(0, 0)) is None


@pytest.mark.parametrize("target", [0, 100, -1, 100.5])
def test_targets_outside_0_100_are_refused(target: float) -> None:
    with pytest.raises(ValueError, match="above 0 and below 100"):
        Objective(target, MONTH)


@pytest.mark.parametrize(
    ("period", "factors"),
    [
        (MONTH, (14.4, 6.0, 3.0, 1.0)),
        (28 * DAY, (13.44, 5.6, 2.8, 0.9333333)),
        (7 * DAY, (3.36, 1.4, 0.7, 0.2333333)),
    ],
)
def test_default_windows_keep_the_budget_shares(
    period: timedelta, factors: tuple[float, ...]
) -> None:
    windows = default_windows(period)
    assert [w.factor for w in windows] == pytest.approx(factors)
    assert [(w.severity, w.long, w.short) for w in windows] == [
        (Severity.PAGE, HOUR, timedelta(minutes=5)),
        (Severity.PAGE, 6 * HOUR, timedelta(minutes=30)),
        (Severity.TICKET, DAY, 2 * HOUR),
        (Severity.TICKET, 3 * DAY, 6 * HOUR),
    ]


def _ratios(**by_window: float | None):  # type: ignore[no-untyped-def]
    table = {
        timedelta(minutes=5): by_window.get("m5"),
        timedelta(minutes=30): by_window.get("m30"),
        HOUR: by_window.get("h1"),
        2 * HOUR: by_window.get("h2"),
        6 * HOUR: by_window.get("h6"),
        DAY: by_window.get("d1"),
        3 * DAY: by_window.get("d3"),
    }
    return table.__getitem__


@pytest.mark.parametrize(
    ("ratios", "severities"),
    [
        ({"m5": 0.02, "h1": 0.02}, {Severity.PAGE}),  # both above 14.4 x 0.001
        ({"m5": 0.0144, "h1": 0.02}, set()),  # equal is not above: strict
        ({"m5": 0.0001, "h1": 0.02}, set()),  # recovered: the short window clears it
        ({"m5": 0.02, "h1": None}, set()),  # undefined never fires
        ({"m30": 0.007, "h6": 0.007}, {Severity.PAGE}),  # the slower page window
        ({"h2": 0.0035, "d1": 0.0035}, {Severity.TICKET}),
        ({"h6": 0.0011, "d3": 0.0011}, {Severity.TICKET}),
        (
            {"m5": 0.05, "h1": 0.05, "m30": 0.05, "h6": 0.05, "h2": 0.05, "d1": 0.05},
            {Severity.PAGE, Severity.TICKET},
        ),
    ],
)
def test_multiwindow_decisions(ratios: dict[str, float], severities: set[Severity]) -> None:
    fired = firing(default_windows(MONTH), SLO, _ratios(**ratios))
    assert set(fired) == severities


@given(
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0.5, max_value=50),
)
def test_a_window_fires_exactly_when_both_ratios_exceed_the_threshold(
    short: float, long: float, factor: float
) -> None:
    window = BurnWindow(Severity.PAGE, HOUR, timedelta(minutes=5), factor, 2)
    ratio = {HOUR: long, timedelta(minutes=5): short}.__getitem__
    threshold = factor * SLO.budget_ratio
    # Equal up to float rounding counts as equal (not above): the boundary case has its
    # own table row above.
    assume(not math.isclose(short, threshold, rel_tol=1e-9))
    assume(not math.isclose(long, threshold, rel_tol=1e-9))
    fired = bool(firing([window], SLO, ratio))
    assert fired == (short > threshold and long > threshold)


@given(st.floats(min_value=50, max_value=99.999), st.integers(min_value=1, max_value=90))
def test_burning_at_rate_one_uses_the_budget_exactly_over_the_period(
    target: float, days: int
) -> None:
    slo = Objective(target, timedelta(days=days))
    assert consumed_in(1.0, slo.period, slo.period) == pytest.approx(1.0)
    assert time_to_exhaust(1.0, slo.period) == slo.period
    assert burn_rate(slo.budget_ratio, slo) == pytest.approx(1.0)


def test_timeslices() -> None:
    slices = [Counts(99, 100), Counts(0, 0), Counts(98, 100), Counts(100, 100)]
    assert good_timeslices(slices, 0.99) == [True, True, False, True]
    with pytest.raises(ValueError):
        good_timeslices(slices, 99)


@pytest.mark.parametrize(
    ("threshold", "les", "found"),
    [
        (1.0, ["0.5", "1", "+Inf"], "1"),
        (0.25, ["0.1", "0.25", "+Inf"], "0.25"),
        (1, ["1.0"], "1.0"),
    ],
)
def test_latency_thresholds_are_bucket_boundaries(
    threshold: float, les: list[str], found: str
) -> None:
    assert bucket_le(threshold, les) == found


def test_a_threshold_between_buckets_is_an_error() -> None:
    with pytest.raises(ValueError, match="0.3 is not a bucket boundary"):
        bucket_le(0.3, ["0.1", "0.25", "0.5", "+Inf"])
