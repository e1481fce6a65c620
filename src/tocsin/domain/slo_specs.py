"""An SLO as configured: what is measured (the SLI), the target over a window, and how it
alerts. Built by ``config/slos`` from ``slos:`` in tocsin.yaml (or an OpenSLO or Sloth
document); evaluated with ``domain/slo``."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tocsin.domain.slo import BurnWindow, Objective, default_windows

__all__ = [
    "BuiltinSli",
    "EventsSli",
    "LatencySli",
    "PrometheusSli",
    "PrometheusSource",
    "RawSli",
    "SloAlert",
    "SloSpec",
    "SloWindow",
    "Sli",
    "Timeslices",
    "WINDOW_PLACEHOLDER",
]

#: Sloth's placeholder for the rate window in an SLI query.
WINDOW_PLACEHOLDER = "{{.window}}"


@dataclass(frozen=True)
class SloWindow:
    """Rolling (the last 7, 28 or 30 days) or the calendar month."""

    rolling: timedelta | None = None

    @property
    def calendar_month(self) -> bool:
        return self.rolling is None

    @property
    def nominal(self) -> timedelta:
        """The period the alert factors are scaled to (a calendar month counts 30 days)."""
        return self.rolling or timedelta(days=30)

    def span(self, now: datetime) -> tuple[datetime, datetime]:
        """The period that ``now`` falls in: [start, end)."""
        if self.rolling is not None:
            return now - self.rolling, now
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        days = calendar.monthrange(start.year, start.month)[1]
        return start, start + timedelta(days=days)

    def label(self) -> str:
        if self.rolling is None:
            return "month"
        return f"{self.rolling.days}d"


@dataclass(frozen=True)
class EventsSli:
    """A ratio of Prometheus queries: errors (or good events) over all events. Each query
    has ``{{.window}}`` where the rate window goes, as Sloth's do."""

    total_query: str
    error_query: str | None = None
    good_query: str | None = None


@dataclass(frozen=True)
class LatencySli:
    """Requests faster than a threshold, from a Prometheus cumulative histogram: good is the
    bucket whose ``le`` is the threshold, total the ``+Inf`` bucket."""

    #: The histogram's name (its ``_bucket`` series are read).
    metric: str
    threshold: float
    #: Label matchers selecting the series, e.g. ``job="checkout"``.
    selector: str = ""


@dataclass(frozen=True)
class RawSli:
    """Sloth's raw SLI: one Prometheus query giving the error ratio over ``{{.window}}``. It
    has no event counts, so every span of time weighs the same in longer windows."""

    error_ratio_query: str


@dataclass(frozen=True)
class BuiltinSli:
    """Good and total counts posted to Tocsin (``POST /api/slos/{id}/events``), for teams
    without Prometheus."""


Sli = EventsSli | LatencySli | RawSli | BuiltinSli
#: The SLIs read from Prometheus.
PrometheusSli = EventsSli | LatencySli | RawSli


@dataclass(frozen=True)
class Timeslices:
    """OpenSLO's Timeslices budgeting: the period is cut into slices from its start, each
    good iff its good/total reaches ``target`` (a ratio; no traffic is good), and the
    objective counts good slices instead of good events."""

    slice: timedelta
    target: float


@dataclass(frozen=True)
class SloAlert:
    """How one severity's burn-rate alert is labelled (None in ``SloSpec``: disabled)."""

    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SloSpec:
    service: str
    name: str
    target: float
    window: SloWindow
    sli: Sli
    description: str = ""
    #: On the SLO's alerts and rules.
    labels: Mapping[str, str] = field(default_factory=dict)
    #: The alerts' name (``alertname``).
    alert_name: str = ""
    #: On both severities' alerts (not on the recording rules).
    alert_labels: Mapping[str, str] = field(default_factory=dict)
    #: On every alert of the SLO (a runbook ...).
    annotations: Mapping[str, str] = field(default_factory=dict)
    page: SloAlert | None = field(default_factory=SloAlert)
    ticket: SloAlert | None = field(default_factory=SloAlert)
    #: None: occurrences (good events / all events), else timeslices.
    budgeting: Timeslices | None = None

    @property
    def id(self) -> str:
        """``<service>-<name>``, as Sloth's ``sloth_id``."""
        return f"{self.service}-{self.name}"

    def objective(self, now: datetime) -> Objective:
        start, end = self.window.span(now)
        return Objective(self.target, end - start)

    def windows(self) -> tuple[BurnWindow, ...]:
        """The multiwindow alerts it has (a disabled severity has none)."""
        wanted = {"page": self.page is not None, "ticket": self.ticket is not None}
        return tuple(w for w in default_windows(self.window.nominal) if wanted[w.severity.value])


@dataclass(frozen=True)
class PrometheusSource:
    """Where Tocsin reads the Prometheus SLIs (``prometheus:`` in tocsin.yaml)."""

    url: str
    timeout: timedelta = timedelta(seconds=10)
    #: True: Tocsin evaluates the burn-rate alerts of Prometheus SLOs every minute. False:
    #: Prometheus does, with the rules ``tocsin slo rules`` writes (Tocsin only reads).
    evaluate_alerts: bool = True
