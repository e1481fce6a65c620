"""``tocsin oncall`` and ``tocsin schedule shifts``: who is on call, from the configuration."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import console, tocsin_errors
from tocsin.cli.routing import ConfigFile, load
from tocsin.config.compile import RoutingConfig
from tocsin.domain.schedules import Schedule, oncall_at, shifts
from tocsin.engine.clock import SystemClock
from tocsin.errors import InputError

__all__ = ["oncall", "schedule_app"]

schedule_app = typer.Typer(help="On-call schedules.", no_args_is_help=True)


def _time(text: str | None, option: str) -> datetime:
    if text is None:
        return SystemClock().now()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not an ISO 8601 time") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _schedule(config: RoutingConfig, name: str) -> Schedule:
    found = config.schedules.get(name)
    if found is None:
        known = ", ".join(sorted(config.schedules)) or "none are configured"
        raise InputError(f"no schedule {name!r} (known: {known})")
    return found


@tocsin_errors
def oncall(
    schedule: Annotated[str | None, typer.Argument(help="Default: every schedule.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="ISO time; default now.")] = None,
    config: ConfigFile = None,
) -> None:
    """Who is on call now (or --at), per schedule."""
    loaded = load(config)
    when = _time(at, "--at")
    names = [schedule] if schedule else sorted(loaded.schedules)
    table = Table("Schedule", "On call", "Local time")
    for name in names:
        s = _schedule(loaded, name)
        table.add_row(
            name,
            oncall_at(s, when) or "(nobody)",
            when.astimezone(s.zone).strftime("%Y-%m-%d %H:%M %Z"),
        )
    console.print(table)


@schedule_app.command("shifts")
@tocsin_errors
def shifts_command(
    schedule: Annotated[str, typer.Argument(help="The schedule's name.")],
    start: Annotated[str | None, typer.Option("--from", help="ISO time; default now.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="ISO time; default 7 days on.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    config: ConfigFile = None,
) -> None:
    """The final shifts between --from and --to (gaps are absent)."""
    s = _schedule(load(config), schedule)
    begin = _time(start, "--from")
    until = _time(end, "--to") if end else begin + timedelta(days=7)
    if until <= begin:
        raise InputError("--to must be after --from")
    found = shifts(s, begin, until)
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
    table = Table("User", f"Start ({s.zone.key})", f"End ({s.zone.key})", "Start (UTC)", "Hours")
    for f in found:
        table.add_row(
            f.user,
            f.start.astimezone(s.zone).strftime("%a %Y-%m-%d %H:%M"),
            f.end.astimezone(s.zone).strftime("%a %Y-%m-%d %H:%M"),
            f.start.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            f"{(f.end - f.start) / timedelta(hours=1):.1f}",
        )
    console.print(table)
