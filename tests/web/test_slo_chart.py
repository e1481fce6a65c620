"""The burn-down chart's geometry, by hand: a 720 x 280 box has its plot from x 56 to 696
(640 wide) and from y 12 (100 %) down to 248 (236 tall)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tocsin.services.slos import BurnDown
from tocsin.web.slo_chart import burn_down_chart, percent_label

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def burn(*points: tuple[timedelta, float], days: int = 30, now: timedelta | None = None):
    end = MARCH + days * DAY
    return BurnDown(
        MARCH,
        end,
        MARCH + now if now is not None else end,
        tuple((MARCH + at, left) for at, left in points),
    )


def test_points_even_burn_and_axes_of_a_half_spent_budget():
    # Half the budget gone half way through 30 days: on the even burn, at (376, 130).
    c = burn_down_chart(burn((timedelta(0), 1.0), (15 * DAY, 0.5)), ZoneInfo("UTC"))
    assert (c.left, c.right, c.top, c.bottom) == (56, 696, 12, 248)
    assert c.points == ((56, 12), (376, 130))
    assert c.polyline == "56.00,12.00 376.00,130.00"
    assert c.even == ((56, 12), (696, 248))
    assert c.zero_y == 248 and not c.overspent
    assert [(t.at, t.label) for t in c.y_ticks] == [
        (248, "0 %"),
        (189, "25 %"),
        (130, "50 %"),
        (71, "75 %"),
        (12, "100 %"),
    ]
    # Every 4 days (30 / 8, up), at midnight: 1 Mar at the left edge, then 640 x 4/30 apart.
    assert [t.label for t in c.x_ticks] == [
        "1 Mar",
        "5 Mar",
        "9 Mar",
        "13 Mar",
        "17 Mar",
        "21 Mar",
        "25 Mar",
        "29 Mar",
    ]
    assert c.x_ticks[1].at == pytest.approx(56 + 640 * 4 / 30)
    assert c.now_x is None  # a rolling window ends now


def test_an_overspent_budget_goes_below_the_zero_line():
    # Down to -30 %: the axis runs from -50 % (the next 25 % step below) to 100 %.
    c = burn_down_chart(burn((timedelta(0), 1.0), (10 * DAY, -0.3)), ZoneInfo("UTC"))
    assert c.overspent
    assert c.zero_y == pytest.approx(12 + 236 * 1 / 1.5)  # 169.33
    assert c.points[-1] == pytest.approx((56 + 640 / 3, 12 + 236 * 1.3 / 1.5))  # (269.33, 216.53)
    assert c.even[1] == pytest.approx((696, c.zero_y))  # the even burn ends at 0 %, not below
    assert [t.label for t in c.y_ticks] == [
        "-50 %",
        "-25 %",
        "0 %",
        "25 %",
        "50 %",
        "75 %",
        "100 %",
    ]
    assert c.y_ticks[0].at == 248


@pytest.mark.parametrize(
    ("lowest", "labels"),
    [
        (0.4, ["0 %", "25 %", "50 %", "75 %", "100 %"]),
        (0.0, ["0 %", "25 %", "50 %", "75 %", "100 %"]),
        (-1.0, [f"{p} %" for p in range(-100, 101, 25)]),  # 8 steps of 25 %: still fine
        (-1.2, [f"{p} %" for p in range(-150, 101, 50)]),  # 25 % steps would be 10
        (-3.2, ["-400 %", "-300 %", "-200 %", "-100 %", "0 %", "100 %"]),
        # 200 % steps do not land on 100 %: it is added.
        (-9.5, ["-1000 %", "-800 %", "-600 %", "-400 %", "-200 %", "0 %", "100 %"]),
    ],
)
def test_the_y_axis_has_few_round_ticks_whatever_the_overspend(lowest, labels):
    c = burn_down_chart(burn((timedelta(0), 1.0), (DAY, lowest)), ZoneInfo("UTC"))
    assert [t.label for t in c.y_ticks] == labels
    assert c.y_ticks[-1].at == 12 and c.y_ticks[0].at == 248  # 100 % on top, bottom below
    assert c.points[-1][1] == pytest.approx(
        12 + 236 * (1 - lowest) / (1 - min(0.0, float(labels[0].split()[0]) / 100))
    )


def test_times_outside_the_period_are_drawn_at_its_edges():
    """Built-in events count the minute being written, so the last point can be a minute
    past the end of a rolling period: it is drawn at the right edge."""
    c = burn_down_chart(burn((-DAY, 1.0), (30 * DAY + timedelta(minutes=1), 0.25)), ZoneInfo("UTC"))
    assert c.points == ((56, 12), (696, 189))


def test_now_is_marked_inside_a_calendar_month():
    # March has 31 days; noon on the 16th is 15.5 days in.
    c = burn_down_chart(
        burn((timedelta(0), 1.0), days=31, now=timedelta(days=15, hours=12)), ZoneInfo("UTC")
    )
    assert c.now_x == pytest.approx(56 + 640 * 15.5 / 31)  # 376
    assert c.even == ((56, 12), (696, 248))


def test_dates_are_midnights_in_the_viewers_zone_across_a_clock_change():
    # A week from Thursday 26 March 12:00 UTC; Berlin springs forward on Sunday the 29th,
    # so that day has 23 hours and the midnights after it are 22:00 UTC.
    start = datetime(2026, 3, 26, 12, tzinfo=UTC)
    b = BurnDown(start, start + 7 * DAY, start + 7 * DAY, ((start, 1.0),))
    c = burn_down_chart(b, ZoneInfo("Europe/Berlin"))
    assert [t.label for t in c.x_ticks] == [
        "27 Mar",
        "28 Mar",
        "29 Mar",
        "30 Mar",
        "31 Mar",
        "1 Apr",
        "2 Apr",
    ]
    hour = 640 / (7 * 24)
    assert c.x_ticks[0].at == pytest.approx(56 + 11 * hour)  # 27 Mar 00:00 CET = 26th 23:00 UTC
    assert c.x_ticks[3].at - c.x_ticks[2].at == pytest.approx(23 * hour)
    assert c.x_ticks[4].at - c.x_ticks[3].at == pytest.approx(24 * hour)


def test_a_different_size():
    c = burn_down_chart(burn((timedelta(0), 1.0), (30 * DAY, 0.0)), ZoneInfo("UTC"), 400, 200)
    assert (c.width, c.height, c.right, c.bottom) == (400, 200, 376, 168)
    assert c.points == ((56, 12), (376, 168))


@pytest.mark.parametrize(("ratio", "label"), [(1.0, "100 %"), (0.25, "25 %"), (-0.5, "-50 %")])
def test_percent_labels(ratio, label):
    assert percent_label(ratio) == label
