"""On-call health (``/reports/oncall``): each person's hours on call, shifts and pages over
the last days, who is over the page budget, a chart of hours and pages per person
(``oncall_health_chart``), each schedule's fairness, and the table as CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.learning_policy import WEEKDAYS
from tocsin.domain.oncall_health import HealthReport
from tocsin.errors import FieldProblem, InputError
from tocsin.services.oncall_health import OnCallHealthService, to_csv
from tocsin.services.runtime import Runtime
from tocsin.web.downloads import csv_download
from tocsin.web.oncall_calendar import stamp
from tocsin.web.oncall_health_chart import HealthChart, health_chart
from tocsin.web.render import HEADERS, page
from tocsin.web.routing import web_router
from tocsin.web.session import Viewer, runtime_of, viewing

__all__ = ["DAY_CHOICES", "router"]

router = web_router()

#: The periods the page offers: the last 7, 30 or 90 days up to now.
DAY_CHOICES = (7, 30, 90)

Days = Annotated[int, Query()]
ScheduleName = Annotated[str | None, Query(max_length=200)]


@dataclass(frozen=True)
class Shown:
    report: HealthReport
    chart: HealthChart
    #: The chart's description, for screen readers.
    summary: str
    schedules: list[str]


def _period(service: OnCallHealthService, days: int) -> tuple[datetime, datetime]:
    if days not in DAY_CHOICES:
        raise InputError(FieldProblem("days", "must be 7, 30 or 90"))
    return service.period(since=timedelta(days=days))


def _hours(span: timedelta) -> str:
    return f"{span / timedelta(hours=1):,.1f} h"


def _summary(report: HealthReport) -> str:
    if not report.people:
        return "Nobody was on call or paged in this period."
    parts = [
        f"{p.person}: {_hours(p.hours)} on call, {p.pages} page{'' if p.pages == 1 else 's'}"
        + (", over the page budget" if p.over_budget else "")
        for p in report.people
    ]
    return "; ".join(parts) + "."


def _shown(runtime: Runtime, days: int, schedule: str | None) -> Shown:
    service = runtime.oncall_health
    start, end = _period(service, days)
    report = service.report(start, end, schedule or None)
    names = sorted(runtime.schedules.all(from_=start))
    return Shown(report, health_chart(report.people), _summary(report), names)


def _ratio(value: float | None, suffix: str = "") -> str:
    return "–" if value is None else f"{value:.2f}{suffix}"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


@router.get("/reports/oncall")
async def oncall_health_page(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    days: Days = 30,
    schedule: ScheduleName = None,
) -> Response:
    runtime = runtime_of(request)
    shown = await run_in_threadpool(_shown, runtime, days, schedule)
    policy = shown.report.policy
    return page(
        request,
        "oncall_health/index.html",
        viewer,
        title="On-call health",
        shown=shown,
        r=shown.report,
        days=days,
        choices=DAY_CHOICES,
        schedule=schedule or "",
        working_days=", ".join(WEEKDAYS[d].capitalize() for d in sorted(policy.working_days)),
        stamp=lambda at: stamp(at, viewer.zone),
        hours=_hours,
        ratio=_ratio,
        share=_share,
    )


@router.get("/reports/oncall.csv")
async def oncall_health_csv(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    days: Days = 30,
    schedule: ScheduleName = None,
) -> Response:
    service = runtime_of(request).oncall_health
    start, end = _period(service, days)
    report = await run_in_threadpool(service.report, start, end, schedule or None)
    return csv_download(to_csv(report), f"oncall-health-{end:%Y%m%d}-{days}d.csv", HEADERS)
