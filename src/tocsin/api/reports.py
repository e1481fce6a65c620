"""Reports: incident response times and volume, and the alert review, as JSON or CSV
(``format=csv``: a header row, then one row per group). docs/reports.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso
from tocsin.config.durations import duration_input
from tocsin.domain.alert_review import FLAP_WINDOW, MIN_FIRED, AlertReview, AlertRow
from tocsin.domain.incident_metrics import Distribution, GroupMetrics, Measure, Volume
from tocsin.errors import FieldProblem, InputError
from tocsin.services.report_tables import alert_table, incident_table, to_csv
from tocsin.services.reports import IncidentReport, grouping, period, zone_named
from tocsin.web.downloads import csv_download

__all__ = ["router"]

router = APIRouter(prefix="/api/reports", tags=["Reports"])

Start = Annotated[
    str | None,
    Query(description="Start of the period: a date (2026-03-01, in tz) or an ISO 8601 time"),
]
End = Annotated[str | None, Query(description="End of the period, excluded (default: now)")]
Since = Annotated[str | None, Query(description="Instead of start: this long before end, e.g. 30d")]
Format = Annotated[str, Query(description="json or csv")]


def _format(value: str) -> str:
    if value not in ("json", "csv"):
        raise InputError(FieldProblem("format", f"{value!r} is not json or csv"))
    return value


def _dist(d: Distribution) -> dict[str, Any]:
    return {"count": d.count, "meanSeconds": d.mean, "p50Seconds": d.p50, "p90Seconds": d.p90}


def _group(g: GroupMetrics) -> dict[str, Any]:
    return {
        "key": g.key,
        "incidents": g.incidents,
        **{m.value: _dist(g.measures[m]) for m in Measure},
    }


def _volume(v: Volume) -> dict[str, Any]:
    return {
        "total": v.total,
        "bySeverity": dict(v.by_severity),
        "months": [
            {"month": m.month, "bySeverity": dict(m.by_severity), "total": m.total}
            for m in v.months
        ],
        "repeats": v.repeats,
        "postmortems": {
            "required": v.postmortems_required,
            "published": v.postmortems_published,
            "completionRate": v.postmortem_rate,
        },
        "actionItems": {
            "due": v.action_items_due,
            "doneOnTime": v.action_items_on_time,
            "onTimeRate": v.on_time_rate,
        },
    }


def incident_report_json(r: IncidentReport) -> dict[str, Any]:
    return {
        "start": iso(r.start),
        "end": iso(r.end),
        "timeZone": r.zone.key,
        "by": r.metrics.by.value,
        "filters": {"team": r.filters.team, "service": r.filters.service},
        "percentiles": "nearest-rank",
        "groups": [_group(g) for g in r.metrics.groups],
        "overall": _group(r.metrics.overall),
        "volume": _volume(r.volume),
    }


def _alert(row: AlertRow) -> dict[str, Any]:
    return {
        "alertname": row.alertname,
        "service": row.service,
        "fired": row.fired,
        "incidents": row.incidents,
        "paged": row.paged,
        "acknowledged": row.acknowledged,
        "actioned": row.actioned,
        "autoResolved": row.auto_resolved,
        "medianAutoResolveSeconds": row.median_auto_resolve,
        "flapping": row.flapping,
    }


def alert_review_json(r: AlertReview) -> dict[str, Any]:
    return {
        "start": iso(r.start),
        "end": iso(r.end),
        "flapWindowSeconds": r.flap_window.total_seconds(),
        "minFired": r.min_fired,
        "alerts": [_alert(row) for row in r.rows],
        "neverActioned": [_alert(row) for row in r.never_actioned],
    }


@router.get(
    "/incidents",
    summary="MTTD, MTTA, MTTM and MTTR (count, mean, p50, p90) by group, and volume",
)
def incident_report(
    request: Request,
    start: Start = None,
    end: End = None,
    since: Since = None,
    by: Annotated[str, Query(description="severity, service, team or month")] = "severity",
    team: str | None = None,
    service: str | None = None,
    tz: Annotated[str | None, Query(description="Time zone of months and dates")] = None,
    format: Format = "json",
) -> Response:
    runtime = runtime_of(request)
    kind, zone, grouped = _format(format), zone_named(tz), grouping(by)
    begin, until = period(runtime.clock.now(), since=since, start=start, end=end, zone=zone)
    report = runtime.reports.incidents(
        begin, until, by=grouped, zone=zone, team=team, service=service
    )
    if kind == "csv":
        return csv_download(
            to_csv(incident_table(report.metrics)), f"tocsin-incidents-by-{grouped.value}.csv"
        )
    return json_response(incident_report_json(report))


@router.get(
    "/alerts",
    summary="The alert review: per alertname and service, how often it fired, paged, was "
    "acknowledged and actioned; the never-actioned list",
)
def alert_report(
    request: Request,
    start: Start = None,
    end: End = None,
    since: Since = None,
    team: str | None = None,
    service: str | None = None,
    tz: Annotated[str | None, Query(description="Time zone of dates")] = None,
    flap_window: Annotated[
        str | None, Query(description="Fired again within this of resolving: a flap (15m)")
    ] = None,
    min_fired: Annotated[
        int, Query(ge=1, le=1_000_000, description="Firings to be on the never-actioned list")
    ] = MIN_FIRED,
    format: Format = "json",
) -> Response:
    runtime = runtime_of(request)
    kind, zone = _format(format), zone_named(tz)
    window = duration_input(flap_window, "flap_window") if flap_window is not None else FLAP_WINDOW
    begin, until = period(runtime.clock.now(), since=since, start=start, end=end, zone=zone)
    review = runtime.reports.alerts(
        begin, until, team=team, service=service, flap_window=window, min_fired=min_fired
    )
    if kind == "csv":
        return csv_download(to_csv(alert_table(review)), "tocsin-alert-review.csv")
    return json_response(alert_review_json(review))
