"""``tocsin schedule override ...`` and ``tocsin schedule swap ...``: changes to who is on
call, stored in the database (the running server picks them up at once)."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors, vouch
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl, parse_time, schedules

__all__ = ["override_app", "swap_app"]

override_app = typer.Typer(help="Overrides: someone on call for a while.", no_args_is_help=True)
swap_app = typer.Typer(help="Shift swaps: offer (part of) a shift; take one.", no_args_is_help=True)

From = Annotated[str, typer.Option("--from", help="ISO time (no offset: UTC).")]
To = Annotated[str, typer.Option("--to", help="ISO time (no offset: UTC).")]


def _utc(t: object) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]


@override_app.command("add")
@tocsin_errors
def add_override(
    schedule: Annotated[str, typer.Argument(help="The schedule's name.")],
    user: Annotated[str, typer.Argument(help="Who is on call instead.")],
    start: From,
    end: To,
    author: Annotated[str, typer.Option("--author", "-a", envvar="USER", help="Who.")],
    note: Annotated[str, typer.Option("--note", help="Why.")] = "",
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Put USER on call in SCHEDULE from --from to --to; print the override's id."""
    begin, until = parse_time(start, "--from"), parse_time(end, "--to")
    with configured_runtime(config, database_url) as runtime:
        created = runtime.schedules.add_override(
            schedule, user, begin, until, vouch(runtime.routing, author), note
        )
    console.print(created.id)


@override_app.command("list")
@tocsin_errors
def list_overrides(
    schedule: Annotated[str, typer.Argument(help="The schedule's name.")],
    past: Annotated[bool, typer.Option(help="Include those already over.")] = False,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The schedule's stored overrides (those in the configuration file are shown there)."""
    with schedules(config, database_url) as service:
        found = service.overrides(schedule, current=not past)
    table = Table("ID", "User", "Start (UTC)", "End (UTC)", "By", "Note")
    for o in found:
        table.add_row(str(o.id), o.user, _utc(o.start), _utc(o.end), o.created_by, o.note)
    console.print(table)


@override_app.command("remove")
@tocsin_errors
def remove_override(
    override_id: int, config: ConfigFile = None, database_url: DatabaseUrl = None
) -> None:
    """Remove an override."""
    with schedules(config, database_url) as service:
        service.remove_override(override_id)
    console.print(f"removed {override_id}")


@swap_app.command("offer")
@tocsin_errors
def offer(
    schedule: Annotated[str, typer.Argument(help="The schedule's name.")],
    user: Annotated[str, typer.Argument(help="Who offers (it must be their shift).")],
    start: From,
    end: To,
    to: Annotated[str | None, typer.Option("--to-user", help="Offer to one person.")] = None,
    note: Annotated[str, typer.Option("--note")] = "",
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Offer the part --from..--to of USER's shifts; print the swap's id."""
    begin, until = parse_time(start, "--from"), parse_time(end, "--to")
    with schedules(config, database_url) as service:
        swap = service.offer_swap(schedule, user, begin, until, to=to, note=note)
    console.print(swap.id)


@swap_app.command("take")
@tocsin_errors
def take(
    swap_id: str,
    user: Annotated[str, typer.Option("--user", "-u", help="Who takes it.")],
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Take an offered shift: it becomes an override; both people are told."""
    with schedules(config, database_url) as service:
        swap = service.take_swap(swap_id, user)
    console.print(f"{user} is on call for {swap.schedule} {_utc(swap.start)}-{_utc(swap.end)} UTC")


@swap_app.command("withdraw")
@tocsin_errors
def withdraw(swap_id: str, config: ConfigFile = None, database_url: DatabaseUrl = None) -> None:
    """Withdraw an open offer."""
    with schedules(config, database_url) as service:
        service.withdraw_swap(swap_id)
    console.print(f"withdrew {swap_id}")


@swap_app.command("list")
@tocsin_errors
def list_swaps(
    schedule: Annotated[str | None, typer.Option("--schedule", "-s")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open, taken, withdrawn")] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Shift swaps."""
    with schedules(config, database_url) as service:
        found = service.swaps(schedule, status)
    table = Table(
        "ID", "Schedule", "Offered by", "To", "Start (UTC)", "End (UTC)", "Status", "Taken by"
    )
    for s in found:
        table.add_row(
            s.id, s.schedule, s.offered_by, s.offered_to or "anyone",
            _utc(s.start), _utc(s.end), s.status, s.taken_by or "",
        )  # fmt: skip
    console.print(table)
