"""On-call health: each person's hours, shifts and pages over a period, and each schedule's
fairness, as JSON or CSV (docs/oncall-health.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import instant, iso
from tocsin.config.durations import duration_input
from tocsin.domain.learning_policy import WEEKDAYS, HealthPolicy
from tocsin.domain.oncall_health import Fairness, HealthReport, PersonHealth
from tocsin.services.oncall_health import to_csv
from tocsin.web.downloads import csv_download

__all__ = ["router"]

router = APIRouter(prefix="/api/reports", tags=["Reports"])

#: ``instant``'s default, never returned: the value is always given.
_UNUSED = datetime.min.replace(tzinfo=UTC)

Instant = Annotated[
    str | None, Query(description="ISO 8601 time with an offset, e.g. 2026-03-01T00:00:00Z")
]


def _hours(span: timedelta) -> float:
    return round(span / timedelta(hours=1), 3)


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _policy(policy: HealthPolicy) -> dict[str, Any]:
    return {
        "workingDays": [WEEKDAYS[d] for d in sorted(policy.working_days)],
        "workingHours": {
            "start": policy.working_start.isoformat("minutes"),
            "end": policy.working_end.isoformat("minutes"),
        },
        "sleepHours": {
            "start": policy.sleep_start.isoformat("minutes"),
            "end": policy.sleep_end.isoformat("minutes"),
        },
        "pageBudget": policy.page_budget,
    }


def _person(p: PersonHealth) -> dict[str, Any]:
    return {
        "person": p.person,
        "timeZone": p.zone.key,
        "hoursOnCall": _hours(p.hours),
        "shifts": p.shifts,
        "pages": p.pages,
        "pagesOnShift": p.on_shift_pages,
        "offShiftPages": p.off_shift_pages,
        "pagesPerShift": _ratio(p.pages_per_shift),
        "maxPagesPerShift": p.max_pages_per_shift,
        "offHoursPages": p.off_hours_pages,
        "sleepHoursPages": p.sleep_pages,
        "longestStretchHours": _hours(p.longest_stretch),
        "overPageBudget": p.over_budget,
        "pagesBySeverity": dict(p.by_severity),
    }


def _fairness(f: Fairness) -> dict[str, Any]:
    return {
        "schedule": f.schedule,
        "hoursCv": _ratio(f.hours_cv),
        "pagesCv": _ratio(f.pages_cv),
        "hoursSpread": _ratio(f.hours_spread),
        "pagesSpread": _ratio(f.pages_spread),
        "people": [
            {
                "person": s.person,
                "hoursOnCall": _hours(s.hours),
                "pages": s.pages,
                "hoursShare": _ratio(s.hours_share),
                "pagesShare": _ratio(s.pages_share),
                "hoursVsEven": _ratio(s.hours_vs_even),
                "pagesVsEven": _ratio(s.pages_vs_even),
            }
            for s in f.people
        ],
    }


def as_json(report: HealthReport) -> dict[str, Any]:
    return {
        "period": {"start": iso(report.start), "end": iso(report.end)},
        "policy": _policy(report.policy),
        "people": [_person(p) for p in report.people],
        "schedules": [_fairness(f) for f in report.schedules],
        "overPageBudget": [p.person for p in report.over_budget],
    }


def _instant(value: str | None, name: str) -> datetime | None:
    """An ISO time from the query (it needs an offset); None when not given."""
    return None if value is None else instant(value, name, _UNUSED)


@router.get(
    "/oncall",
    summary="On-call health per person over a period (JSON, or CSV with format=csv)",
    responses={200: {"content": {"text/csv": {}}}},
)
def oncall_report(
    request: Request,
    start: Instant = None,
    end: Instant = None,
    since: Annotated[
        str | None, Query(description="Instead of start: this long before end, e.g. 30d")
    ] = None,
    schedule: Annotated[str | None, Query(max_length=200, description="Only this one")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    service = runtime_of(request).oncall_health
    span = duration_input(since, "since") if since is not None else None
    begin, until = service.period(_instant(start, "start"), _instant(end, "end"), span)
    report = service.report(begin, until, schedule)
    if format == "csv":
        name = f"oncall-health-{begin:%Y%m%d}-{until:%Y%m%d}.csv"
        return csv_download(to_csv(report), name)
    return json_response(as_json(report))
