"""On-call health as a chart: one row per person, a bar of hours on call on the left and a
bar of pages on the right, each scaled to its own largest value.

Pure: the report is a parameter, the output geometry and words for the template
(``oncall_health/chart.html`` turns it into SVG; no chart library, no script). Every figure
drawn is also written next to its bar and in the table below the chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tocsin.domain.oncall_health import PersonHealth

__all__ = ["Bar", "HealthChart", "Row", "health_chart"]

#: Room for the panel titles on top, and between the two panels; a row and its bar.
TOP = 28.0
GAP = 56.0
ROW = 30.0
BAR = 18.0
#: Roughly how wide one character of a 12px label is; the least room for the names.
CHAR = 7.0
LABEL = 64.0
#: Room kept after the longest bar for its value ("168.0 h"; "3 pages, over budget").
VALUE = 64.0
FLAGGED_VALUE = 150.0


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str


@dataclass(frozen=True)
class Row:
    person: str
    y: float
    hours: Bar
    pages: Bar
    over_budget: bool


@dataclass(frozen=True)
class HealthChart:
    width: float
    height: float
    #: Where each panel starts, and its width for bars.
    hours_x: float
    pages_x: float
    panel: float
    bar_height: float
    rows: tuple[Row, ...]


def _hours_label(span: timedelta) -> str:
    return f"{span / timedelta(hours=1):,.1f} h"


def _pages_label(p: PersonHealth) -> str:
    words = f"{p.pages} page{'' if p.pages == 1 else 's'}"
    return words + ", over budget" if p.over_budget else words


def health_chart(people: tuple[PersonHealth, ...], width: float = 720.0) -> HealthChart:
    """The chart of ``people`` in a box ``width`` wide (as tall as the rows need): the names
    on the left, then the two panels of equal width."""
    label = max([LABEL, *(CHAR * len(p.person) + 16 for p in people)])
    pages_value = FLAGGED_VALUE if any(p.over_budget for p in people) else VALUE
    panel = (width - label - GAP - VALUE - pages_value) / 2
    hours_x = label
    pages_x = label + panel + VALUE + GAP
    most_hours = max((p.hours for p in people), default=timedelta(0))
    most_pages = max((p.pages for p in people), default=0)
    rows = []
    for i, p in enumerate(people):
        y = TOP + i * ROW + (ROW - BAR) / 2
        hours = panel * (p.hours / most_hours) if most_hours else 0.0
        pages = panel * p.pages / most_pages if most_pages else 0.0
        rows.append(
            Row(
                p.person,
                y,
                Bar(hours_x, hours, _hours_label(p.hours)),
                Bar(pages_x, pages, _pages_label(p)),
                p.over_budget,
            )
        )
    return HealthChart(
        width=width,
        height=TOP + len(people) * ROW + 8,
        hours_x=hours_x,
        pages_x=pages_x,
        panel=panel,
        bar_height=BAR,
        rows=tuple(rows),
    )
