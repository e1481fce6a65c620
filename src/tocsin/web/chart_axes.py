"""What the SVG charts share: the box with the plot area inside its margins (where the axis
labels go), and a labelled mark on an axis. Each chart module adds its own marks to these."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PlotArea", "Tick"]


@dataclass(frozen=True)
class Tick:
    """A mark on an axis: where (x on the x axis, y on the y axis) and its label."""

    at: float
    label: str


@dataclass(frozen=True)
class PlotArea:
    """The chart's box, in SVG units, and the plot area's edges inside it."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
