"""Bar charts for the reports page: response times per month (p50 and p90 bars side by
side) and incidents per month stacked by severity.

Pure, as ``slo_chart``: the figures in, geometry and words out; ``reports/parts.html`` turns
it into SVG (no chart library, no script). Every bar carries a label that says what it
shows, and the page has the same figures in a table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tocsin.web.chart_axes import PlotArea, Tick

__all__ = ["Bar", "BarChart", "Series", "count_steps", "grouped_bars", "span_label", "stacked_bars"]

LEFT = 56.0
RIGHT = 16.0
TOP = 12.0
BOTTOM = 32.0
#: About this many steps up the y axis.
Y_STEPS = 5
#: Month labels, at most this many (every second or third month when there are more).
MAX_X_LABELS = 12

#: Nice steps for an axis of durations, in seconds.
SPAN_STEPS = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
    172800, 432000, 864000,
)  # fmt: skip


@dataclass(frozen=True)
class Series:
    """One kind of bar: its CSS class, its name, and a value per category (None: none)."""

    css: str
    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    #: What it shows, in words (the bar's title).
    label: str


@dataclass(frozen=True)
class BarChart(PlotArea):
    bars: tuple[Bar, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    #: (css, label) of each series, for the legend.
    legend: tuple[tuple[str, str], ...]


def span_label(seconds: float) -> str:
    """An axis label for a duration: ``30s``, ``15m``, ``2h``, ``1d``, ``1h 30m``."""
    s = round(seconds)
    if s and s % 86400 == 0:
        return f"{s // 86400}d"
    if s >= 3600:
        hours, rest = divmod(s, 3600)
        return f"{hours}h" + (f" {rest // 60}m" if rest else "")
    if s and s % 60 == 0:
        return f"{s // 60}m"
    return f"{s}s"


def count_steps() -> Sequence[float]:
    """1, 2, 5, 10, 20, 50 ... up to a billion."""
    return [m * 10**e for e in range(10) for m in (1, 2, 5)]


def _axis(high: float, steps: Sequence[float]) -> tuple[float, float]:
    """(top, step): the smallest step that reaches ``high`` in at most Y_STEPS steps."""
    for step in steps:
        if high <= step * Y_STEPS:
            return max(step, math.ceil(high / step - 1e-9) * step), step
    step = steps[-1]
    return math.ceil(high / step) * step, step


def month_label(month: str) -> str:
    """``2026-03`` -> ``Mar 2026``."""
    return datetime.strptime(month, "%Y-%m").strftime("%b %Y")  # noqa: DTZ007 - a label


class _Frame:
    """A month per slot along x; y from 0 at the bottom to ``top_value`` in ``step`` ticks."""

    def __init__(
        self, categories: Sequence[str], width: float, height: float, axis: tuple[float, float]
    ) -> None:
        self.categories = categories
        self.width, self.height = width, height
        self.left, self.right = LEFT, width - RIGHT
        self.top, self.bottom = TOP, height - BOTTOM
        self.slot = (self.right - self.left) / max(1, len(categories))
        self.top_value, self.step = axis

    def y(self, value: float) -> float:
        return self.bottom - value / self.top_value * (self.bottom - self.top)

    def x_ticks(self) -> tuple[Tick, ...]:
        every = max(1, math.ceil(len(self.categories) / MAX_X_LABELS))
        return tuple(
            Tick(self.left + (n + 0.5) * self.slot, month_label(c))
            for n, c in enumerate(self.categories)
            if n % every == 0
        )

    def y_ticks(self, label: Callable[[float], str]) -> tuple[Tick, ...]:
        count = round(self.top_value / self.step)
        return tuple(Tick(self.y(k * self.step), label(k * self.step)) for k in range(count + 1))

    def chart(
        self, bars: list[Bar], series: Sequence[Series], label: Callable[[float], str]
    ) -> BarChart:
        """The chart of ``bars``, the y axis labelled with ``label``."""
        return BarChart(
            self.width,
            self.height,
            self.left,
            self.right,
            self.top,
            self.bottom,
            tuple(bars),
            self.x_ticks(),
            self.y_ticks(label),
            tuple((s.css, s.label) for s in series),
        )


def grouped_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    unit: Callable[[float], str] = span_label,
    steps: Sequence[float] = SPAN_STEPS,
    width: float = 720.0,
    height: float = 240.0,
) -> BarChart:
    """A bar per series side by side in each category (a month)."""
    values = [v for s in series for v in s.values if v is not None]
    frame = _Frame(categories, width, height, _axis(max([0.0, *values]), steps))
    inner = frame.slot * 0.8
    each = inner / max(1, len(series))
    bars = []
    for n, category in enumerate(categories):
        x0 = frame.left + n * frame.slot + (frame.slot - inner) / 2
        for k, s in enumerate(series):
            value = s.values[n]
            if value is None:
                continue
            y = frame.y(value)
            bars.append(
                Bar(
                    x0 + k * each,
                    y,
                    each * 0.9,
                    frame.bottom - y,
                    s.css,
                    f"{month_label(category)}, {s.label}: {unit(value)}",
                )
            )
    return frame.chart(bars, series, unit)


def stacked_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    width: float = 720.0,
    height: float = 240.0,
) -> BarChart:
    """One column per category, its series stacked from the bottom (counts)."""
    totals = [sum(s.values[n] or 0 for s in series) for n in range(len(categories))]
    frame = _Frame(categories, width, height, _axis(max([0.0, *totals]), count_steps()))
    inner = frame.slot * 0.6
    bars = []
    for n, category in enumerate(categories):
        x0 = frame.left + n * frame.slot + (frame.slot - inner) / 2
        below = 0.0
        for s in series:
            value = s.values[n] or 0
            if value <= 0:
                continue
            y_top, y_base = frame.y(below + value), frame.y(below)
            bars.append(
                Bar(
                    x0,
                    y_top,
                    inner,
                    y_base - y_top,
                    s.css,
                    f"{month_label(category)}, {s.label}: {value:g}",
                )
            )
            below += value
    return frame.chart(bars, series, lambda v: f"{v:g}")
