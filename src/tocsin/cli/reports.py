"""``tocsin report incidents|alerts``: incident response times and volume, and the alert
review, in the terminal or as CSV (docs/reports.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.config.durations import duration_input
from tocsin.domain.alert_review import MIN_FIRED, AlertReview, AlertRow
from tocsin.domain.durations import duration_text
from tocsin.domain.incident_metrics import Distribution, Measure, Volume
from tocsin.services.report_tables import Table as Rows
from tocsin.services.report_tables import alert_table, incident_table, to_csv
from tocsin.services.reports import IncidentReport, grouping, period, zone_named

__all__ = ["report_app"]

report_app = typer.Typer(
    help="Reports: incident response times and volume, the alert review.", no_args_is_help=True
)

Since = Annotated[
    str | None,
    typer.Option("--since", help="This long before the end, e.g. 30d (the default), 12w."),
]
Start = Annotated[
    str | None,
    typer.Option("--start", help="Start: a date (2026-03-01, in --tz) or an ISO 8601 time."),
]
End = Annotated[str | None, typer.Option("--end", help="End, excluded (default: now).")]
Team = Annotated[str | None, typer.Option("--team", help="Only this team's incidents.")]
Service = Annotated[str | None, typer.Option("--service", help="Only this service.")]
Zone = Annotated[
    str | None, typer.Option("--tz", help="Time zone of months and dates (default: UTC).")
]
CsvFile = Annotated[
    Path | None,
    typer.Option("--csv", help="Write the table as CSV to this file ('-': standard output)."),
]


def _span(seconds: float | None) -> str:
    return "-" if seconds is None else duration_text(timedelta(seconds=seconds))


def _dist(d: Distribution) -> str:
    if d.count == 0:
        return "-"
    return f"{_span(d.p50)} / {_span(d.p90)} / {_span(d.mean)} (n={d.count})"


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f} %"


def _write(rows: Rows, where: Path) -> None:
    text = to_csv(rows)
    if str(where) == "-":
        typer.echo(text, nl=False)
        return
    where.write_text(text, newline="")
    console.print(f"wrote {where}")


def _period(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"


@report_app.command("incidents")
@tocsin_errors
def incidents(
    since: Since = None,
    start: Start = None,
    end: End = None,
    by: Annotated[
        str, typer.Option("--by", help="Group by severity, service, team or month.")
    ] = "severity",
    team: Team = None,
    service: Service = None,
    tz: Zone = None,
    csv: CsvFile = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """MTTD, MTTA, MTTM and MTTR (p50 / p90 / mean) per group, and the volume: incidents by
    severity, repeats, postmortems published, action items done on time."""
    zone, grouped = zone_named(tz, "--tz"), grouping(by, "--by")
    with configured_runtime(config, database_url) as runtime:
        begin, until = period(runtime.clock.now(), since=since, start=start, end=end, zone=zone)
        report = runtime.reports.incidents(
            begin, until, by=grouped, zone=zone, team=team, service=service
        )
    if csv is not None:
        _write(incident_table(report.metrics), csv)
        return
    _print_incidents(report)


def _print_incidents(report: IncidentReport) -> None:
    m = report.metrics
    console.print(
        f"Incidents opened {_period(report.start, report.end)}, by {m.by.value}"
        f" (months in {report.zone.key}); p50 / p90 / mean, nearest-rank",
        highlight=False,
    )
    table = Table(m.by.value, "incidents", *(x.value.upper() for x in Measure))
    for g in (*m.groups, m.overall):
        key = "all" if g is m.overall else ("(none)" if g.key is None else g.key)
        table.add_row(escape(key), str(g.incidents), *(_dist(g.measures[x]) for x in Measure))
    console.print(table)
    _print_volume(report.volume)


def _print_volume(v: Volume) -> None:
    severities = list(v.by_severity)
    table = Table("month", *severities, "total")
    for month in v.months:
        table.add_row(
            month.month, *(str(month.by_severity.get(s, 0)) for s in severities), str(month.total)
        )
    table.add_row("all", *(str(v.by_severity[s]) for s in severities), str(v.total))
    console.print(table)
    repeats = "not known" if v.repeats is None else str(v.repeats)
    console.print(f"repeat incidents: {repeats}", highlight=False)
    console.print(
        f"postmortems published: {v.postmortems_published} of {v.postmortems_required} required"
        f" ({_rate(v.postmortem_rate)})",
        highlight=False,
    )
    console.print(
        f"action items done on time: {v.action_items_on_time} of {v.action_items_due} due"
        f" ({_rate(v.on_time_rate)})",
        highlight=False,
    )


@report_app.command("alerts")
@tocsin_errors
def alerts(
    since: Since = None,
    start: Start = None,
    end: End = None,
    team: Team = None,
    service: Service = None,
    tz: Zone = None,
    flap_window: Annotated[
        str, typer.Option("--flap-window", help="Fired again within this of resolving: a flap.")
    ] = "15m",
    min_fired: Annotated[
        int,
        typer.Option("--min-fired", min=1, help="Firings to be on the never-actioned list."),
    ] = MIN_FIRED,
    csv: CsvFile = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The alert review: per alertname and service, how often it fired, paged, was
    acknowledged and led to a human action; then the alerts never actioned."""
    zone = zone_named(tz, "--tz")
    window = duration_input(flap_window, "--flap-window")
    with configured_runtime(config, database_url) as runtime:
        begin, until = period(runtime.clock.now(), since=since, start=start, end=end, zone=zone)
        review = runtime.reports.alerts(
            begin, until, team=team, service=service, flap_window=window, min_fired=min_fired
        )
    if csv is not None:
        _write(alert_table(review), csv)
        return
    _print_alerts(review)


def _alert_table(rows: tuple[AlertRow, ...]) -> Table:
    table = Table(
        "alertname",
        "service",
        "fired",
        "incidents",
        "paged",
        "acked",
        "actioned",
        "auto-resolved (median)",
        "flapping",
    )
    for r in rows:
        table.add_row(
            escape(r.alertname or "(none)"),
            escape(r.service or "(none)"),
            str(r.fired),
            str(r.incidents),
            str(r.paged),
            str(r.acknowledged),
            str(r.actioned),
            f"{r.auto_resolved} ({_span(r.median_auto_resolve)})",
            str(r.flapping),
        )
    return table


def _print_alerts(review: AlertReview) -> None:
    console.print(f"Alerts {_period(review.start, review.end)}", highlight=False)
    if not review.rows:
        console.print("no alert fired in this period")
        return
    console.print(_alert_table(review.rows))
    console.print(
        f"Never actioned (fired {review.min_fired} times or more, no human action):",
        highlight=False,
    )
    if review.never_actioned:
        console.print(_alert_table(review.never_actioned))
    else:
        console.print("none")
