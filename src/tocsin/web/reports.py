"""The reports page (``/reports``): response times per month (MTTA and MTTR, p50 and p90)
and incidents per severity per month as SVG bar charts (``report_charts``), the volume
figures, and the alert review with its never-actioned list; and the same tables as CSV
downloads (``/reports/incidents.csv``, ``/reports/alerts.csv``). docs/reports.md.

The period is whole days in the viewer's time zone: ``from`` and ``to`` (both included),
by default from the first day of the month five months ago to today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.alert_review import AlertReview
from tocsin.domain.incident_metrics import SEVERITIES, Grouping, IncidentMetrics, Measure
from tocsin.domain.wallclock import start_of_day
from tocsin.errors import FieldProblem, InputError
from tocsin.services.report_tables import alert_table, incident_table, to_csv
from tocsin.services.reports import IncidentReport, ReportService, grouping
from tocsin.web.downloads import csv_download
from tocsin.web.render import duration, page
from tocsin.web.report_charts import BarChart, Series, grouped_bars, month_label, stacked_bars
from tocsin.web.routing import web_router
from tocsin.web.session import Viewer, runtime_of, viewing

__all__ = ["router"]

router = web_router()

#: The months the page shows by default: this one and the five before.
DEFAULT_MONTHS = 6
#: The response-time charts' box in SVG units: two side by side on a wide screen.
RESPONSE_WIDTH = 480.0
RESPONSE_HEIGHT = 220.0


@dataclass(frozen=True)
class Period:
    """What the form asked for: days in the viewer's zone, ``to`` included."""

    from_: date
    to: date
    team: str
    service: str

    @classmethod
    def parse(cls, request: Request, zone: ZoneInfo, now: datetime) -> Period:
        params = request.query_params
        today = now.astimezone(zone).date()
        back = today.month - 1 - (DEFAULT_MONTHS - 1)
        first = date(today.year + back // 12, back % 12 + 1, 1)
        days = {}
        for name, default in (("from", first), ("to", today)):
            text = params.get(name, "").strip()
            try:
                days[name] = date.fromisoformat(text) if text else default
            except ValueError:
                raise InputError(FieldProblem(name, f"{text!r} is not a date")) from None
        if days["from"] > days["to"]:
            raise InputError(FieldProblem("to", "is before the from date"))
        return cls(
            days["from"],
            days["to"],
            params.get("team", "").strip(),
            params.get("service", "").strip(),
        )

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return start_of_day(self.from_, zone), start_of_day(self.to + timedelta(days=1), zone)

    def query(self, **extra: str) -> str:
        pairs = [("from", self.from_.isoformat()), ("to", self.to.isoformat())]
        pairs += [(k, v) for k, v in (("team", self.team), ("service", self.service)) if v]
        return urlencode(pairs + list(extra.items()))


def _span(seconds: float | None) -> str:
    return "–" if seconds is None else duration(timedelta(seconds=seconds))


def _response_chart(metrics: IncidentMetrics, months: list[str], measure: Measure) -> BarChart:
    by_month = {g.key: g.measures[measure] for g in metrics.groups}
    p50 = tuple(by_month[m].p50 if m in by_month else None for m in months)
    p90 = tuple(by_month[m].p90 if m in by_month else None for m in months)
    return grouped_bars(
        months,
        [Series("rpt-p50", "p50", p50), Series("rpt-p90", "p90", p90)],
        width=RESPONSE_WIDTH,
        height=RESPONSE_HEIGHT,
    )


def _chart_words(name: str, metrics: IncidentMetrics, measure: Measure) -> str:
    parts = [
        f"{month_label(g.key or '')}: p50 {_span(g.measures[measure].p50)}, "
        f"p90 {_span(g.measures[measure].p90)}"
        for g in metrics.groups
        if g.measures[measure].count
    ]
    return f"{name} per month. " + ("; ".join(parts) if parts else "No incidents.") + "."


@dataclass(frozen=True)
class ReportsPage:
    report: IncidentReport
    review: AlertReview
    months: list[str]
    mtta: BarChart
    mttr: BarChart
    volume: BarChart
    mtta_words: str
    mttr_words: str
    volume_words: str


def build(reports: ReportService, period: Period, zone: ZoneInfo) -> ReportsPage:
    start, end = period.bounds(zone)
    team, service = period.team or None, period.service or None
    report = reports.incidents(start, end, by=Grouping.MONTH, zone=zone, team=team, service=service)
    review = reports.alerts(start, end, team=team, service=service)
    metrics, vol = report.metrics, report.volume
    months = [m.month for m in vol.months]
    severity_series = [
        Series(f"rpt-{s.lower()}", s, tuple(float(m.by_severity.get(s, 0)) for m in vol.months))
        for s in SEVERITIES
    ]
    volume_words = "Incidents per month by severity. " + "; ".join(
        f"{month_label(m.month)}: {m.total} ("
        + ", ".join(f"{s} {m.by_severity.get(s, 0)}" for s in SEVERITIES)
        + ")"
        for m in vol.months
    )
    return ReportsPage(
        report,
        review,
        months,
        _response_chart(metrics, months, Measure.MTTA),
        _response_chart(metrics, months, Measure.MTTR),
        stacked_bars(months, severity_series),
        _chart_words("Time to acknowledge", metrics, Measure.MTTA),
        _chart_words("Time to resolve", metrics, Measure.MTTR),
        volume_words + ".",
    )


def _rate(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.0f} %"


@router.get("/reports")
async def reports_page(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    runtime = runtime_of(request)
    period = Period.parse(request, viewer.zone, runtime.clock.now())
    built = await run_in_threadpool(build, runtime.reports, period, viewer.zone)
    config = runtime.current.routing
    return page(
        request,
        "reports/page.html",
        viewer,
        title="Reports",
        r=built,
        period=period,
        teams=sorted(config.teams) if config else [],
        measures=list(Measure),
        groupings=list(Grouping),
        span=_span,
        rate=_rate,
        month_label=month_label,
    )


@router.get("/reports/incidents.csv")
async def incidents_csv(
    request: Request, viewer: Annotated[Viewer, Depends(viewing)], by: str = "month"
) -> Response:
    runtime = runtime_of(request)
    period = Period.parse(request, viewer.zone, runtime.clock.now())
    grouped = grouping(by)
    start, end = period.bounds(viewer.zone)

    def work() -> Any:
        return runtime.reports.incidents(
            start,
            end,
            by=grouped,
            zone=viewer.zone,
            team=period.team or None,
            service=period.service or None,
        )

    report = await run_in_threadpool(work)
    return csv_download(
        to_csv(incident_table(report.metrics)), f"tocsin-incidents-by-{grouped.value}.csv"
    )


@router.get("/reports/alerts.csv")
async def alerts_csv(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    runtime = runtime_of(request)
    period = Period.parse(request, viewer.zone, runtime.clock.now())
    start, end = period.bounds(viewer.zone)

    def work() -> AlertReview:
        return runtime.reports.alerts(
            start, end, team=period.team or None, service=period.service or None
        )

    return csv_download(
        to_csv(alert_table(await run_in_threadpool(work))), "tocsin-alert-review.csv"
    )
