"""``tocsin actions [--overdue] [--team T] [--owner U]``, ``tocsin actions add INCIDENT``
and ``tocsin actions set ID``: action items from the command line, on the server's
database (its engine sends the reminders)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.incidents import As, actor_of
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.services.action_items import KEEP, ItemView

__all__ = ["actions_app"]

actions_app = typer.Typer(
    help="Action items: list them (overdue ones per team), add one, change one.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _row(v: ItemView, team: str) -> list[str]:
    i = v.item
    due = v.due_date.isoformat() if v.due_date else ""
    if v.overdue:
        due += " [bold red](overdue)[/]"
    return [
        team,
        str(i.id),
        escape(i.title),
        i.owner,
        due,
        i.status.label,
        f"#{i.incident_id} {escape(v.incident_title)}",
    ]


@actions_app.callback()
@tocsin_errors
def list_items(
    ctx: typer.Context,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only items past their due date, per team.")
    ] = False,
    team: Annotated[str | None, typer.Option("--team", help="Only this team's items.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this person's.")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option("--status", "-s", help="open, in_progress, done, wont_do."),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Closed ones too.")] = False,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Action items, one row per team they count for, the soonest due first (those not
    closed unless --all or --status)."""
    if ctx.invoked_subcommand is not None:
        return
    statuses = status or ([] if all_ else ["open", "in_progress"])
    with configured_runtime(config, database_url) as runtime:
        found = runtime.action_items.items(
            owner=owner, team=team, statuses=statuses, overdue=overdue
        )
    table = Table("Team", "#", "Title", "Owner", "Due", "Status", "Incident")
    if team is not None:
        rows = [(team, v) for v in found]
    else:
        rows = [(t, v) for v in found for t in (v.teams or ("",))]
    for t, v in sorted(rows, key=lambda tv: (tv[0] == "", tv[0])):
        table.add_row(*_row(v, t or "(no team)"))
    console.print(table)
    if not rows:
        console.print("No action items" + (" overdue." if overdue else "."))


@actions_app.command("add")
@tocsin_errors
def add(
    incident: Annotated[int, typer.Argument(help="The incident's number.")],
    title: Annotated[str, typer.Option("--title", help="What is to be done, in a line.")],
    owner: Annotated[str, typer.Option("--owner", help="Who does it (a user id).")],
    due: Annotated[
        str | None, typer.Option("--due", help="YYYY-MM-DD: until the end of that day.")
    ] = None,
    ticket: Annotated[
        str | None, typer.Option("--ticket", help="An http(s) link to a ticket.")
    ] = None,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add an action item to an incident (and to its postmortem, if it has one)."""
    with configured_runtime(config, database_url) as runtime:
        view = runtime.action_items.create(
            incident,
            title=title,
            owner=owner,
            actor=actor_of(runtime, who),
            due=due,
            ticket_url=ticket,
        )
    _said(view)


@actions_app.command("set")
@tocsin_errors
def set_item(
    item: Annotated[int, typer.Argument(help="The action item's number.")],
    status: Annotated[
        str | None, typer.Option("--status", help="open, in_progress, done, wont_do.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    due: Annotated[
        str | None, typer.Option("--due", help="YYYY-MM-DD, or none to clear it.")
    ] = None,
    ticket: Annotated[
        str | None, typer.Option("--ticket", help="An http(s) link, or none to clear it.")
    ] = None,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Change an action item: its status, title, owner, due date or ticket."""
    with configured_runtime(config, database_url) as runtime:
        view = runtime.action_items.update(
            item,
            actor=actor_of(runtime, who),
            status=status if status is not None else KEEP,
            title=title if title is not None else KEEP,
            owner=owner if owner is not None else KEEP,
            due=due if due is not None else KEEP,
            ticket_url=(None if ticket.strip().lower() in ("", "none") else ticket)
            if ticket is not None
            else KEEP,
        )
    _said(view)


def _said(v: ItemView) -> None:
    i = v.item
    due = f", due {v.due_date.isoformat()}" if v.due_date else ""
    console.print(
        f"Action item #{i.id} of incident #{i.incident_id}: {escape(i.title)} "
        f"({i.owner}{due}): [bold]{i.status.label}[/]"
    )
