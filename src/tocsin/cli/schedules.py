"""``tocsin oncall`` and ``tocsin schedule shifts|gaps|hours``: who is on call, from the
configuration and the overrides stored in the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.domain.coverage import total_hours
from tocsin.engine.clock import SystemClock
from tocsin.errors import InputError
from tocsin.services.schedules import ScheduleService

__all__ = ["DatabaseUrl", "oncall", "parse_time", "schedule_app", "schedules"]

schedule_app = typer.Typer(help="On-call schedules.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", envvar="TOCSIN_DATABASE_URL", show_default=False)
]


def parse_time(text: str | None, option: str, default: datetime | None = None) -> datetime:
    """An ISO time from an option (no offset: UTC); ``default`` (else now) when absent."""
    if text is None:
        return default or SystemClock().now()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not an ISO 8601 time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@contextmanager
def schedules(config: str | None, database_url: str | None) -> Iterator[ScheduleService]:
    """The schedule service over the configuration file and the database."""
    with configured_runtime(config, database_url) as runtime:
        yield runtime.schedules


def _local(t: datetime, zone: object) -> str:
    return t.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")  # type: ignore[arg-type]


@tocsin_errors
def oncall(
    schedule: Annotated[str | None, typer.Argument(help="Default: every schedule.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="ISO time; default now.")] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Who is on call now (or --at), per schedule."""
    when = parse_time(at, "--at")
    table = Table("Schedule", "On call", "Local time")
    with schedules(config, database_url) as service:
        names = [schedule] if schedule else sorted(service.all())
        for name in names:
            s = service.schedule(name)
            table.add_row(
                name,
                service.oncall(name, when) or "(nobody)",
                when.astimezone(s.zone).strftime("%Y-%m-%d %H:%M %Z"),
            )
    console.print(table)


def _range(start: str | None, end: str | None, default: timedelta) -> tuple[datetime, datetime]:
    begin = parse_time(start, "--from")
    until = parse_time(end, "--to") if end else begin + default
    if until <= begin:
        raise InputError("--to must be after --from")
    return begin, until


@schedule_app.command("shifts")
@tocsin_errors
def shifts_command(
    schedule: Annotated[str, typer.Argument(help="The schedule's name.")],
    start: Annotated[str | None, typer.Option("--from", help="ISO time; default now.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="ISO time; default 7 days on.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The final shifts between --from and --to (gaps are absent)."""
    begin, until = _range(start, end, timedelta(days=7))
    with schedules(config, database_url) as service:
        found = service.shifts(schedule, begin, until)
        zone = service.schedule(schedule).zone
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "user": f.user,
                        "start": f.start.astimezone(UTC).isoformat(),
                        "end": f.end.astimezone(UTC).isoformat(),
                    }
                    for f in found
                ]
            )
        )
        return
    table = Table("User", f"Start ({zone.key})", f"End ({zone.key})", "Start (UTC)", "Hours")
    for f in found:
        table.add_row(
            f.user,
            _local(f.start, zone),
            _local(f.end, zone),
            f.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            f"{(f.end - f.start) / timedelta(hours=1):.1f}",
        )
    console.print(table)


@schedule_app.command("gaps")
@tocsin_errors
def gaps_command(
    schedule: Annotated[str, typer.Argument(help="The schedule's name.")],
    days: Annotated[int, typer.Option("--days", min=1, max=366, help="How far ahead.")] = 14,
    start: Annotated[str | None, typer.Option("--from", help="ISO time; default now.")] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """When nobody is on call in the next --days; exits 1 if there is any gap."""
    begin = parse_time(start, "--from")
    with schedules(config, database_url) as service:
        found = service.gaps(schedule, begin, begin + timedelta(days=days))
        zone = service.schedule(schedule).zone
    if not found:
        console.print(f"{schedule}: covered for the next {days} days")
        return
    table = Table(f"Gap start ({zone.key})", f"Gap end ({zone.key})", "Start (UTC)", "Hours")
    for g in found:
        table.add_row(
            _local(g.start, zone),
            _local(g.end, zone),
            g.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            f"{(g.end - g.start) / timedelta(hours=1):.1f}",
        )
    console.print(table)
    raise typer.Exit(1)


@schedule_app.command("hours")
@tocsin_errors
def hours_command(
    schedule: Annotated[
        list[str] | None, typer.Option("--schedule", "-s", help="Only these schedules.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="ISO time; default 30 days ago.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="ISO time; default now.")] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Hours on call per person over a period, per schedule and in total."""
    until = parse_time(end, "--to")
    begin = parse_time(start, "--from", until - timedelta(days=30))
    if until <= begin:
        raise InputError("--to must be after --from")
    with schedules(config, database_url) as service:
        per = service.hours(begin, until, schedule or None)
    table = Table("Schedule", "Person", "Hours")
    for name, users in per.items():
        for user, spent in users.items():
            table.add_row(name, user, f"{spent / timedelta(hours=1):.1f}")
    for user, spent in total_hours(per).items():
        table.add_row("[bold]all[/]", user, f"{spent / timedelta(hours=1):.1f}")
    console.print(table)
