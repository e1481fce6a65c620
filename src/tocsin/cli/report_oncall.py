"""``tocsin report oncall``: on-call health per person over a period, as a table (and a
fairness table per schedule), or as CSV written to a file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl, parse_time
from tocsin.config.durations import duration_input
from tocsin.domain.learning_policy import WEEKDAYS
from tocsin.domain.oncall_health import HealthReport
from tocsin.errors import InputError
from tocsin.services.oncall_health import to_csv

__all__ = ["oncall", "print_report"]


def _hours(span: timedelta) -> str:
    return f"{span / timedelta(hours=1):,.1f} h"


def _ratio(value: float | None, suffix: str = "") -> str:
    return "-" if value is None else f"{value:.2f}{suffix}"


def print_report(report: HealthReport) -> None:
    policy = report.policy
    days = ", ".join(WEEKDAYS[d] for d in sorted(policy.working_days))
    console.print(
        f"[bold]On-call health[/] {report.start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC",
        highlight=False,
    )
    console.print(
        f"working hours {days} {policy.working_start:%H:%M}-{policy.working_end:%H:%M}, "
        f"sleep hours {policy.sleep_start:%H:%M}-{policy.sleep_end:%H:%M} (each person's "
        f"own time zone); page budget {policy.page_budget:g} a shift",
        highlight=False,
    )
    if not report.people:
        console.print("Nobody was on call or paged in this period.")
        return
    table = Table(
        "Person",
        "Time zone",
        "Hours",
        "Shifts",
        "Pages",
        "Pages/shift",
        "Max/shift",
        "Off-shift",
        "Off-hours",
        "Sleep",
        "Longest stretch",
        "Flag",
    )
    for p in report.people:
        flag = Text("over budget", style="bold red") if p.over_budget else Text("")
        table.add_row(
            p.person,
            p.zone.key,
            _hours(p.hours),
            str(p.shifts),
            str(p.pages),
            _ratio(p.pages_per_shift),
            str(p.max_pages_per_shift),
            str(p.off_shift_pages),
            str(p.off_hours_pages),
            str(p.sleep_pages),
            _hours(p.longest_stretch),
            flag,
        )
    console.print(table)
    for f in report.schedules:
        fair = Table(
            "Person",
            "Hours",
            "Share of hours",
            "Pages",
            "Share of pages",
            title=(
                f"{f.schedule}: hours CV {f.hours_cv:.2f}, spread {_ratio(f.hours_spread, 'x')}; "
                f"pages CV {f.pages_cv:.2f}, spread {_ratio(f.pages_spread, 'x')}"
            ),
        )
        for s in f.people:
            pages_share = "-" if s.pages_share is None else f"{s.pages_share:.0%}"
            fair.add_row(
                s.person,
                _hours(s.hours),
                f"{s.hours_share:.0%} ({s.hours_vs_even:.2f}x even)",
                str(s.pages),
                pages_share
                + ("" if s.pages_vs_even is None else f" ({s.pages_vs_even:.2f}x even)"),
            )
        console.print(fair)


@tocsin_errors
def oncall(
    since: Annotated[
        str | None, typer.Option("--since", help="The period up to --end (default now): 30d.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="ISO time (no offset: UTC); not with --since.")
    ] = None,
    end: Annotated[str | None, typer.Option("--end", help="ISO time; default now.")] = None,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Only this schedule's shifts and people.")
    ] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write the per-person table as CSV to FILE.")
    ] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """On-call health per person: hours on call, shifts, pages per shift, pages outside
    working hours and in sleep hours, the longest stretch, and who is over the page budget."""
    span = None
    if since is not None:
        span = duration_input(since, "--since")
        if start is not None:
            raise InputError("give --since or --start, not both")
    with configured_runtime(config, database_url) as runtime:
        service = runtime.oncall_health
        begin, until = service.period(
            parse_time(start, "--start") if start else None,
            parse_time(end, "--end") if end else None,
            span,
        )
        report = service.report(begin, until, schedule)
    if csv_file is not None:
        csv_file.write_text(to_csv(report), newline="")
        console.print(f"wrote {len(report.people)} people to {csv_file}", highlight=False)
        return
    print_report(report)
