"""Service level objectives: error budgets and burn rates, exactly as ``shared/specs/slo.md``
fixes them (the Google SRE Workbook's "Alerting on SLOs", Sloth's and Pyrra's rules).

Notation: target T percent (99.9), objective o = T/100, error budget ratio b = 1 - o, SLO
period P. An error ratio over a window is bad/total, a ratio of sums (never a mean of
per-minute ratios), undefined (None) when nothing happened. Pure: every time is an argument.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

__all__ = [
    "BurnWindow",
    "Counts",
    "Objective",
    "Severity",
    "bucket_le",
    "burn_factor",
    "burn_rate",
    "consumed_in",
    "default_windows",
    "error_ratio",
    "firing",
    "good_timeslices",
    "time_to_exhaust",
]


class Severity(StrEnum):
    """Of a burn-rate alert: a page wakes someone, a ticket waits for working hours."""

    PAGE = "page"
    TICKET = "ticket"


@dataclass(frozen=True)
class Counts:
    """Events over some span: how many there were, and how many were good."""

    good: float
    total: float

    @property
    def bad(self) -> float:
        return self.total - self.good

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.good + other.good, self.total + other.total)

    @staticmethod
    def sum(parts: Iterable[Counts]) -> Counts:
        out = Counts(0, 0)
        for part in parts:
            out = out + part
        return out


def error_ratio(counts: Counts) -> float | None:
    """bad / total; None when there were no events (an undefined ratio never alerts)."""
    if counts.total <= 0:
        return None
    return counts.bad / counts.total


@dataclass(frozen=True)
class Objective:
    """A target over a period: 99.9 % over 30 days."""

    target: float
    period: timedelta

    def __post_init__(self) -> None:
        if not 0 < self.target < 100:
            raise ValueError(f"the target must be above 0 and below 100 percent, not {self.target}")
        if self.period <= timedelta(0):
            raise ValueError("the period must be longer than nothing")

    @property
    def ratio(self) -> float:
        """o = T / 100."""
        return self.target / 100

    @property
    def budget_ratio(self) -> float:
        """b = 1 - o, without binary noise (99.9 gives 0.001, not 0.0009999999999998899)."""
        return round(1 - self.target / 100, 12)

    @property
    def budget_time(self) -> timedelta:
        """The error budget as time: b x P (99.9 % over 30 days: 43.2 minutes)."""
        return self.period * self.budget_ratio

    def consumed(self, ratio: float) -> float:
        """The share of the budget an error ratio over the whole period consumes."""
        return ratio / self.budget_ratio

    def remaining(self, ratio: float | None) -> float:
        """1 - consumed: negative when overspent; a period with no events consumed none."""
        return 1.0 if ratio is None else 1 - self.consumed(ratio)

    def remaining_time(self, ratio: float | None) -> timedelta:
        """What is left of the budget as time (negative when overspent)."""
        return self.budget_time * self.remaining(ratio)

    def sli(self, ratio: float | None) -> float | None:
        """The service level indicator: 1 - error ratio."""
        return None if ratio is None else 1 - ratio


def burn_rate(ratio: float | None, objective: Objective) -> float | None:
    """How fast the budget burns: error ratio / b (1.44 % errors at 99.9 %: 14.4)."""
    return None if ratio is None else ratio / objective.budget_ratio


def consumed_in(rate: float, window: timedelta, period: timedelta) -> float:
    """The share of the budget a burn rate consumes within a window: r x W / P."""
    return rate * (window / period)


def time_to_exhaust(rate: float, period: timedelta) -> timedelta | None:
    """How long a full budget lasts at this burn rate: P / r (None: it never runs out)."""
    return None if rate <= 0 else period / rate


def burn_factor(budget_percent: float, period: timedelta, window: timedelta) -> float:
    """The burn rate that consumes this share of the budget within the window:
    (X / 100 x P) / W (2 %, 1 h, 30 d: 14.4)."""
    return (budget_percent / 100) * (period / window)


@dataclass(frozen=True)
class BurnWindow:
    """A multiwindow alert: fires while both windows burn faster than ``factor``."""

    severity: Severity
    long: timedelta
    short: timedelta
    factor: float
    #: The share of the budget the long window consumes at ``factor`` (for the words).
    budget_percent: float


#: (severity, long, short, share of the budget), the Workbook's and Sloth's defaults; the
#: factors are worked out for the period (30 days: 14.4, 6, 3, 1).
_DEFAULTS = (
    (Severity.PAGE, timedelta(hours=1), timedelta(minutes=5), 2.0),
    (Severity.PAGE, timedelta(hours=6), timedelta(minutes=30), 5.0),
    (Severity.TICKET, timedelta(days=1), timedelta(hours=2), 10.0),
    (Severity.TICKET, timedelta(days=3), timedelta(hours=6), 10.0),
)


def default_windows(period: timedelta) -> tuple[BurnWindow, ...]:
    """The default page and ticket windows, their factors scaled to the period."""
    return tuple(
        BurnWindow(severity, long, short, burn_factor(percent, period, long), percent)
        for severity, long, short, percent in _DEFAULTS
    )


def firing(
    windows: Sequence[BurnWindow],
    objective: Objective,
    ratio_over: Callable[[timedelta], float | None],
) -> dict[Severity, BurnWindow]:
    """The severities whose alert fires now, each with the first window that fires it.
    ``ratio_over(W)`` is the error ratio over [now - W, now). A window fires iff its short
    AND its long window's error ratio is strictly above factor x b; an undefined ratio never
    fires; windows of one severity are OR-ed."""
    out: dict[Severity, BurnWindow] = {}
    for window in windows:
        if window.severity in out:
            continue
        threshold = window.factor * objective.budget_ratio
        if _above(ratio_over(window.short), threshold) and _above(
            ratio_over(window.long), threshold
        ):
            out[window.severity] = window
    return out


def _above(ratio: float | None, threshold: float) -> bool:
    """Strictly above. Thresholds come from decimal targets and factors that binary floats
    hold only nearly (14.4 x 0.001 is 0.014399999999999998): a ratio equal to the threshold
    up to that rounding is equal, so it does not fire."""
    if ratio is None:
        return False
    return ratio > threshold and not math.isclose(ratio, threshold, rel_tol=1e-9)


def good_timeslices(slices: Sequence[Counts], slice_target: float) -> list[bool]:
    """OpenSLO timeslices: each slice is good iff good/total >= the slice target (a ratio,
    0..1); a slice with no traffic is good."""
    if not 0 < slice_target <= 1:
        raise ValueError(f"a slice target is a ratio above 0 and at most 1, not {slice_target}")
    return [s.total <= 0 or s.good / s.total >= slice_target for s in slices]


def bucket_le(threshold: float, boundaries: Iterable[str]) -> str:
    """The ``le`` label of the histogram bucket whose bound is the latency threshold,
    compared as numbers ("1" == "1.0"); ValueError when no bucket has it (a threshold
    between buckets is an error, never an interpolation)."""
    for le in boundaries:
        try:
            if float(le) == threshold:
                return le
        except ValueError:
            continue
    raise ValueError(f"{threshold:g} is not a bucket boundary of the histogram")
