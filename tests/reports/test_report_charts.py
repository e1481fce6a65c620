"""The bar charts' geometry (web/report_charts), by hand: a 720 x 240 box, the plot from
x 56 to 704 and y 12 to 208 (196 high)."""

from __future__ import annotations

import pytest

from tocsin.web.report_charts import Series, grouped_bars, span_label, stacked_bars


@pytest.mark.parametrize(
    ("seconds", "label"),
    [(0, "0s"), (30, "30s"), (300, "5m"), (3600, "1h"), (5400, "1h 30m"), (86400, "1d"),
     (172800, "2d"), (90, "90s")],
)  # fmt: skip
def test_axis_labels(seconds: float, label: str) -> None:
    assert span_label(seconds) == label


def test_grouped_bars_side_by_side_on_a_duration_axis() -> None:
    chart = grouped_bars(
        ["2026-02", "2026-03"],
        [Series("p50", "p50", (60.0, None)), Series("p90", "p90", (300.0, 600.0))],
    )
    # Highest 600 s: the first step reaching it in 5 steps is 120 s; the axis tops at 600.
    assert [t.label for t in chart.y_ticks] == ["0s", "2m", "4m", "6m", "8m", "10m"]
    assert [round(t.at, 2) for t in chart.y_ticks] == [208.0, 168.8, 129.6, 90.4, 51.2, 12.0]
    # Two slots of 324; bars take 80 % of a slot: two of 129.6, each drawn 90 % wide.
    first, second, third = chart.bars  # Mar has no p50
    assert (round(first.x, 2), round(first.width, 2)) == (88.4, 116.64)
    assert (round(first.y, 2), round(first.height, 2)) == (188.4, 19.6)  # 60 s of 600
    assert (round(second.x, 2), round(second.y, 2)) == (218.0, 110.0)  # 300 s: half way
    assert (round(third.x, 2), round(third.y, 2), third.label) == (
        542.0,
        12.0,
        "Mar 2026, p90: 10m",
    )
    assert [t.label for t in chart.x_ticks] == ["Feb 2026", "Mar 2026"]
    assert [round(t.at) for t in chart.x_ticks] == [218, 542]
    assert chart.legend == (("p50", "p50"), ("p90", "p90"))


def test_stacked_bars_of_counts() -> None:
    chart = stacked_bars(
        ["2026-03"],
        [Series("s1", "SEV1", (2.0,)), Series("s2", "SEV2", (0.0,)), Series("s3", "SEV3", (3.0,))],
    )
    # Total 5: steps of 1 up to 5.
    assert [t.label for t in chart.y_ticks] == ["0", "1", "2", "3", "4", "5"]
    low, high = chart.bars  # SEV2 had none: no bar
    assert (low.label, round(low.y, 2), round(low.height, 2)) == ("Mar 2026, SEV1: 2", 129.6, 78.4)
    assert (high.label, round(high.y, 2), round(high.height, 2)) == (
        "Mar 2026, SEV3: 3",
        12.0,
        117.6,
    )


def test_an_empty_chart_still_has_an_axis() -> None:
    chart = stacked_bars(["2026-03"], [Series("s1", "SEV1", (0.0,))])
    assert chart.bars == () and [t.label for t in chart.y_ticks] == ["0", "1"]
    many = grouped_bars([f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01"], [])
    assert len(many.x_ticks) == 7  # 13 months: every second one labelled
