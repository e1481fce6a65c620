"""``tocsin status ...``: the public status page from the command line, on the same database
the server uses (its engine sends what subscribers are owed)."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.api.schedules import instant
from tocsin.cli.context import console, open_runtime, settings_with, tocsin_errors
from tocsin.errors import FieldProblem, InputError
from tocsin.services.runtime import Runtime
from tocsin.store.status_incidents import PublicIncident

__all__ = ["status_app"]

status_app = typer.Typer(help="The public status page.", no_args_is_help=True)
component_app = typer.Typer(help="Components and their status.", no_args_is_help=True)
group_app = typer.Typer(help="Component groups.", no_args_is_help=True)
incident_app = typer.Typer(help="Public incidents.", no_args_is_help=True)
maintenance_app = typer.Typer(help="Scheduled maintenance.", no_args_is_help=True)
subscriber_app = typer.Typer(help="Subscribers.", no_args_is_help=True)
status_app.add_typer(component_app, name="component")
status_app.add_typer(group_app, name="group")
status_app.add_typer(incident_app, name="incident")
status_app.add_typer(maintenance_app, name="maintenance")
status_app.add_typer(subscriber_app, name="subscriber")

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", envvar="TOCSIN_DATABASE_URL", show_default=False)
]
As = Annotated[str | None, typer.Option("--as", envvar="TOCSIN_USER", help="Who acts.")]
Components = Annotated[
    list[str] | None,
    typer.Option("--component", "-c", help="ID=STATUS, e.g. 3=major_outage (repeatable)."),
]


@contextmanager
def _runtime(database_url: str | None) -> Iterator[Runtime]:
    runtime = open_runtime(settings_with(database_url))
    try:
        yield runtime
    finally:
        runtime.status_sends.close()
        runtime.messages.close()
        runtime.db.dispose()


def _pairs(given: list[str] | None) -> dict[int, str]:
    out: dict[int, str] = {}
    for i, text in enumerate(given or ()):
        key, sep, value = text.partition("=")
        if not sep or not key.strip().isdigit():
            raise InputError(FieldProblem(f"component[{i}]", f"{text!r} is not ID=STATUS"))
        out[int(key)] = value.strip()
    return out


def _when(text: str, field: str) -> datetime:
    return instant(text, field, datetime.min.replace(tzinfo=UTC))


def _stamp(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t else ""


def _said(i: PublicIncident) -> None:
    console.print(f"#{i.id} {escape(i.name)}: [bold]{i.status}[/] ({i.kind}, impact {i.impact})")


@status_app.command("show")
@tocsin_errors
def show(database_url: DatabaseUrl = None) -> None:
    """The page as the public sees it: its status, components, what is going on."""
    with _runtime(database_url) as runtime:
        s = runtime.status_page.snapshot()
    console.print(
        f"[bold]{escape(s.site.page.name)}[/]: {s.overall.description} ({s.overall.indicator})"
    )
    groups = {g.id: g.name for g in s.groups}
    table = Table("ID", "Component", "Group", "Status")
    for c in s.components:
        table.add_row(
            str(c.id), escape(c.name), escape(groups.get(c.group_id or 0, "")), c.status.value
        )
    console.print(table)
    for i in [*s.incidents, *s.maintenances]:
        _said(i)


@component_app.command("list")
@tocsin_errors
def list_components(database_url: DatabaseUrl = None) -> None:
    """Components in page order."""
    show(database_url)


@component_app.command("add")
@tocsin_errors
def add_component(
    name: str,
    group: Annotated[int | None, typer.Option("--group", help="Group id.")] = None,
    description: Annotated[str | None, typer.Option("--description")] = None,
    hidden_when_operational: Annotated[
        bool, typer.Option("--only-if-degraded", help="Show only when not operational.")
    ] = False,
    no_uptime: Annotated[bool, typer.Option("--no-uptime", help="No uptime bars.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a component."""
    with _runtime(database_url) as runtime:
        c = runtime.status_page.create_component(
            name,
            description=description,
            group_id=group,
            only_show_if_degraded=hidden_when_operational,
            showcase=not no_uptime,
        )
    console.print(f"component {c.id}: {escape(c.name)}")


@component_app.command("set")
@tocsin_errors
def set_status(component_id: int, status: str, database_url: DatabaseUrl = None) -> None:
    """Set a component's status (operational, degraded_performance, partial_outage,
    major_outage, under_maintenance)."""
    with _runtime(database_url) as runtime:
        c = runtime.status_page.set_component_status(component_id, status)
    console.print(f"component {c.id} {escape(c.name)}: [bold]{c.status.value}[/]")


@component_app.command("remove")
@tocsin_errors
def remove_component(component_id: int, database_url: DatabaseUrl = None) -> None:
    """Delete a component and its history."""
    with _runtime(database_url) as runtime:
        runtime.status_page.delete_component(component_id)
    console.print(f"component {component_id} removed")


@group_app.command("add")
@tocsin_errors
def add_group(
    name: str,
    description: Annotated[str | None, typer.Option("--description")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a component group."""
    with _runtime(database_url) as runtime:
        g = runtime.status_page.create_group(name, description=description)
    console.print(f"group {g.id}: {escape(g.name)}")


@group_app.command("list")
@tocsin_errors
def list_groups(database_url: DatabaseUrl = None) -> None:
    with _runtime(database_url) as runtime:
        found = runtime.status_page.groups()
    table = Table("ID", "Group", "Position")
    for g in found:
        table.add_row(str(g.id), escape(g.name), str(g.position))
    console.print(table)


@group_app.command("remove")
@tocsin_errors
def remove_group(group_id: int, database_url: DatabaseUrl = None) -> None:
    """Delete a group (its components stay, ungrouped)."""
    with _runtime(database_url) as runtime:
        runtime.status_page.delete_group(group_id)
    console.print(f"group {group_id} removed")


@incident_app.command("publish")
@tocsin_errors
def publish(
    name: str,
    body: Annotated[str, typer.Option("--body", "-m", help="What the public reads.")],
    status: Annotated[str, typer.Option("--status")] = "investigating",
    impact: Annotated[
        str | None, typer.Option("--impact", help="none, minor, major, critical")
    ] = None,
    component: Components = None,
    incident: Annotated[
        int | None, typer.Option("--incident", help="The internal incident it is about.")
    ] = None,
    who: As = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Publish a public incident."""
    with _runtime(database_url) as runtime:
        i = runtime.status_page.publish(
            incident, name, status, body, impact, _pairs(component), who or getpass.getuser()
        )
    _said(i)


@incident_app.command("update")
@tocsin_errors
def update(
    public_id: int,
    status: Annotated[str, typer.Option("--status")],
    body: Annotated[str, typer.Option("--body", "-m")],
    component: Components = None,
    who: As = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Post an update (of an incident or a maintenance)."""
    with _runtime(database_url) as runtime:
        i = runtime.status_page.post_update(
            public_id, status, body, _pairs(component), who or getpass.getuser()
        )
    _said(i)


@incident_app.command("list")
@tocsin_errors
def list_incidents(
    all_: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Public incidents and maintenances, newest first (unresolved unless --all)."""
    with _runtime(database_url) as runtime:
        _, found, _ = runtime.status_page.listing(None, active=None if all_ else True, limit=100)
    table = Table("#", "Kind", "Status", "Impact", "Name", "Internal", "Began")
    for i in found:
        table.add_row(
            str(i.id),
            i.kind,
            i.status,
            i.impact,
            escape(i.name),
            str(i.incident_id or ""),
            _stamp(i.started_at),
        )
    console.print(table)


@maintenance_app.command("schedule")
@tocsin_errors
def schedule(
    name: str,
    start: Annotated[str, typer.Option("--from", help="ISO 8601 with an offset.")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601 with an offset.")],
    body: Annotated[str, typer.Option("--body", "-m")],
    component: Annotated[list[int] | None, typer.Option("--component", "-c")] = None,
    manual: Annotated[
        bool, typer.Option("--manual", help="Do not start and complete it on time.")
    ] = False,
    who: As = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Schedule a maintenance (started and completed on time unless --manual)."""
    with _runtime(database_url) as runtime:
        m = runtime.status_page.schedule_maintenance(
            name,
            body,
            _when(start, "from"),
            _when(end, "to"),
            list(component or ()),
            who or getpass.getuser(),
            auto_start=not manual,
            auto_complete=not manual,
        )
    _said(m)


@subscriber_app.command("list")
@tocsin_errors
def list_subscribers(database_url: DatabaseUrl = None) -> None:
    with _runtime(database_url) as runtime:
        found = runtime.subscriptions.subscribers()
    table = Table("ID", "Mode", "Address", "Since", "Confirmed")
    for s in found:
        table.add_row(
            str(s.id), s.mode, escape(s.address), _stamp(s.created_at), _stamp(s.confirmed_at)
        )
    console.print(table)


@subscriber_app.command("add-webhook")
@tocsin_errors
def add_webhook(url: str, database_url: DatabaseUrl = None) -> None:
    """Subscribe a webhook URL (Statuspage-shaped POSTs)."""
    with _runtime(database_url) as runtime:
        s = runtime.subscriptions.subscribe_webhook(url)
    console.print(f"subscriber {s.id}: {escape(s.address)}")


@subscriber_app.command("remove")
@tocsin_errors
def remove_subscriber(subscriber_id: int, database_url: DatabaseUrl = None) -> None:
    with _runtime(database_url) as runtime:
        runtime.subscriptions.delete(subscriber_id)
    console.print(f"subscriber {subscriber_id} removed")
