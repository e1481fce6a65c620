"""An SLO's burn-down as a chart: the error budget left through the period, from 100 % at
its start to what is left now, next to an even burn that would reach 0 % at its end.

Pure: the burn-down and the viewer's time zone are parameters, and the output is geometry
and words for the template (``slos/_chart.html`` turns it into SVG; no chart library, no
script). x is time from the period's start to its end; y is the budget left, 100 % at the
top, with room below the 0 % line when the budget was overspent.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.wallclock import start_of_day
from tocsin.services.slos import BurnDown
from tocsin.web.chart_axes import PlotArea, Tick

__all__ = ["Chart", "burn_down_chart", "percent_label"]

#: Room around the plot for the axis labels, in SVG units.
LEFT = 56.0
RIGHT = 24.0
TOP = 12.0
BOTTOM = 32.0
#: At most this many steps between y ticks, and about this many date ticks.
MAX_Y_STEPS = 8
MAX_X_TICKS = 8


@dataclass(frozen=True)
class Chart(PlotArea):
    """x is time, y the budget left."""

    #: The budget left through the period so far, left to right.
    points: tuple[tuple[float, float], ...]
    #: The even burn: 100 % at the period's start to 0 % at its end.
    even: tuple[tuple[float, float], tuple[float, float]]
    #: Where the budget is spent (0 %); below it, overspent.
    zero_y: float
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    #: Now, when it falls inside the period (a calendar month); None at its end (rolling).
    now_x: float | None

    @property
    def polyline(self) -> str:
        """``points`` as an SVG ``points`` attribute."""
        return " ".join(f"{x:.2f},{y:.2f}" for x, y in self.points)

    @property
    def overspent(self) -> bool:
        """Whether the axis goes below 0 % (the budget was overspent)."""
        return self.zero_y < self.bottom


def percent_label(ratio: float) -> str:
    """An axis label: ``100 %``, ``-50 %``."""
    return f"{round(ratio * 100):d} %"


def _steps() -> Iterator[float]:
    """Tick steps as ratios: 25 %, 50 %, then 100 %, 200 %, 500 %, 1000 % ..."""
    yield 0.25
    yield 0.5
    scale = 1.0
    while True:
        for m in (1.0, 2.0, 5.0):
            yield m * scale
        scale *= 10


def _y_axis(lowest: float) -> tuple[float, float]:
    """(bottom, step) of the y axis: 0 % unless the budget went below it, then the step
    below the lowest value, with at most MAX_Y_STEPS steps from the bottom to 100 %."""
    for step in _steps():
        bottom = min(0.0, math.floor(lowest / step) * step)
        if (1.0 - bottom) / step <= MAX_Y_STEPS:
            return bottom, step
    raise AssertionError("unreachable: the steps grow without bound")


def _y_ticks(bottom: float, step: float) -> list[float]:
    """Every multiple of the step from the bottom up to 100 %, and 100 % itself."""
    first = math.ceil(bottom / step - 1e-9)
    last = math.floor(1.0 / step + 1e-9)
    values = [k * step for k in range(first, last + 1)]
    if not math.isclose(values[-1], 1.0):
        values.append(1.0)
    return values


def _day_ticks(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, str]]:
    """Local midnights in [start, end], every few days (about MAX_X_TICKS of them)."""
    every = timedelta(days=max(1, math.ceil((end - start) / timedelta(days=MAX_X_TICKS))))
    day = start.astimezone(zone).date()
    if start_of_day(day, zone) < start:
        day += timedelta(days=1)
    out = []
    while (at := start_of_day(day, zone)) <= end:
        out.append((at, f"{day.day} {day:%b}"))
        day += every
    return out


def burn_down_chart(
    burn: BurnDown, zone: ZoneInfo, width: float = 720.0, height: float = 280.0
) -> Chart:
    """The burn-down drawn in a ``width`` x ``height`` box, dates in ``zone``."""
    left, right = LEFT, width - RIGHT
    top, bottom = TOP, height - BOTTOM
    span = burn.end - burn.start
    values = [v for _, v in burn.points if math.isfinite(v)]
    low, step = _y_axis(min([0.0, *values]))
    high = max([1.0, *values])

    def x(at: datetime) -> float:
        at = min(max(at, burn.start), burn.end)
        return left + (at - burn.start) / span * (right - left)

    def y(ratio: float) -> float:
        return top + (high - ratio) / (high - low) * (bottom - top)

    return Chart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        points=tuple((x(at), y(v)) for at, v in burn.points if math.isfinite(v)),
        even=((x(burn.start), y(1.0)), (x(burn.end), y(0.0))),
        zero_y=y(0.0),
        x_ticks=tuple(Tick(x(at), label) for at, label in _day_ticks(burn.start, burn.end, zone)),
        y_ticks=tuple(Tick(y(v), percent_label(v)) for v in _y_ticks(low, step)),
        now_x=x(burn.now) if burn.start < burn.now < burn.end else None,
    )
