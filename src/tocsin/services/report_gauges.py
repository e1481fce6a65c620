"""Headline report figures on ``/metrics``, computed when Prometheus scrapes (and kept for a
minute by ``ReportService.headline``):

- ``tocsin_incidents_open{severity}``: incidents not resolved, merged ones left out;
- ``tocsin_mtta_seconds{quantile="0.5"|"0.9"}`` and ``tocsin_mttr_seconds{...}``: time to
  acknowledge and to resolve, nearest-rank, over incidents opened in the last 30 days
  (absent while there is none);
- ``tocsin_action_items_overdue``: action items open or in progress past their due time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import CollectorRegistry

from tocsin.domain.incident_metrics import SEVERITIES, Distribution
from tocsin.services.reports import ReportService

__all__ = ["ReportGauges"]

log = logging.getLogger("tocsin.reports")


def _families() -> tuple[GaugeMetricFamily, ...]:
    return (
        GaugeMetricFamily(
            "tocsin_incidents_open", "Incidents not resolved, by severity.", labels=["severity"]
        ),
        GaugeMetricFamily(
            "tocsin_mtta_seconds",
            "Time to acknowledge incidents opened in the last 30 days (nearest-rank quantiles).",
            labels=["quantile"],
        ),
        GaugeMetricFamily(
            "tocsin_mttr_seconds",
            "Time to resolve incidents opened in the last 30 days (nearest-rank quantiles).",
            labels=["quantile"],
        ),
        GaugeMetricFamily(
            "tocsin_action_items_overdue", "Action items not done past their due time."
        ),
    )


def _quantiles(family: GaugeMetricFamily, d: Distribution) -> None:
    if d.p50 is not None and d.p90 is not None:
        family.add_metric(["0.5"], d.p50)
        family.add_metric(["0.9"], d.p90)


class ReportGauges:
    """A prometheus_client collector over the report service."""

    def __init__(self, reports: ReportService) -> None:
        self.reports = reports

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The names, without reading anything (registering must not touch the database)."""
        yield from _families()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            h = self.reports.headline()
        except Exception:  # the database is away: the other metrics still scrape
            log.exception("could not read the headline report figures")
            return
        opened, mtta, mttr, overdue = _families()
        for severity in sorted({*SEVERITIES, *h.open_by_severity}):
            opened.add_metric([severity], h.open_by_severity.get(severity, 0))
        _quantiles(mtta, h.mtta)
        _quantiles(mttr, h.mttr)
        overdue.add_metric([], h.action_items_overdue)
        yield from (opened, mtta, mttr, overdue)

    def register(self, registry: CollectorRegistry) -> ReportService:
        """Export on ``registry``; the report service, for the runtime to keep."""
        registry.register(self)
        return self.reports
