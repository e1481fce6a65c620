"""``tocsin incidents``, ``tocsin incident declare|show|ack|resolve|...`` and
``tocsin test-page USER``: incidents from the command line, on the same database the server
uses (its engine pages; these commands only decide)."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, fail, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.config.durations import parse_duration
from tocsin.domain.access import Need
from tocsin.domain.incidents import Incident
from tocsin.errors import InputError
from tocsin.services.access import require_role
from tocsin.services.incident_slos import burn_words, burned_during
from tocsin.services.incidents import IncidentService
from tocsin.services.runtime import Runtime

__all__ = ["actor_of", "incident_app", "list_incidents", "test_page"]

incident_app = typer.Typer(help="Declare, look at and act on incidents.", no_args_is_help=True)

As = Annotated[
    str | None,
    typer.Option(
        "--as", envvar="TOCSIN_USER", help="Who acts (a user id); default: your login name."
    ),
]
IncidentId = Annotated[int, typer.Argument(help="The incident's number.")]


def _local(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%d %H:%M UTC") if t else ""


def actor_of(
    runtime: Runtime, who: str | None, need: Need = Need.RESPOND, team: str | None = None
) -> str:
    """Who acts: ``--as`` (a configured user), else the login name when it is one, else
    ``cli:<login>`` (the operator, who holds the database's credentials). A person acting
    must have a role that allows it: a viewer cannot acknowledge, even from the CLI."""
    config = runtime.routing
    if who:
        person = runtime.incidents.actor(who, "cli")
    else:
        name = getpass.getuser()
        if config is None or name not in config.users:
            return f"cli:{name}"
        person = name
    require_role(config, person, need, team)
    return person


def _act(
    config: str | None,
    database_url: str | None,
    who: str | None,
    work: Callable[[IncidentService, str], Incident],
) -> None:
    with configured_runtime(config, database_url) as runtime:
        incident = work(runtime.incidents, actor_of(runtime, who))
    console.print(
        f"#{incident.id} {escape(incident.title)}: [bold]{incident.status.value}[/], "
        f"{incident.severity.value}"
    )


@tocsin_errors
def list_incidents(
    status: Annotated[
        list[str] | None,
        typer.Option("--status", "-s", help="triggered, acknowledged, mitigated, resolved."),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Resolved ones too.")] = False,
    severity: Annotated[list[str] | None, typer.Option("--severity")] = None,
    service: Annotated[str | None, typer.Option("--service")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 50,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Incidents, newest first (open ones unless --all or --status)."""
    statuses = status or (None if all_ else ["triggered", "acknowledged", "mitigated"])
    with configured_runtime(config, database_url) as runtime:
        found = runtime.incidents.incidents(
            statuses=statuses, severities=severity, service=service, limit=limit
        )
    table = Table("#", "Sev", "Status", "Title", "Service", "Opened", "Ack by")
    for i in found:
        table.add_row(
            str(i.id),
            i.severity.value,
            i.status.value,
            escape(("[DRILL] " if i.drill else "") + i.title),
            i.service or "",
            _local(i.created_at),
            i.acknowledged_by or "",
        )
    console.print(table)


@incident_app.command("declare")
@tocsin_errors
def declare(
    title: Annotated[str, typer.Option("--title", help="What is wrong, in a line.")],
    severity: Annotated[str, typer.Option("--severity", help="SEV1..SEV4.")] = "SEV3",
    service: Annotated[str | None, typer.Option("--service")] = None,
    summary: Annotated[str, typer.Option("--summary")] = "",
    policy: Annotated[
        str | None, typer.Option("--policy", help="Escalation policy to page.")
    ] = None,
    page: Annotated[
        list[str] | None, typer.Option("--page", help="Page this person directly.")
    ] = None,
    drill: Annotated[
        bool, typer.Option("--drill", help="A practice incident: pages say DRILL.")
    ] = False,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Declare an incident by hand (and page a policy or people)."""
    _act(
        config,
        database_url,
        who,
        lambda s, actor: s.declare(
            title=title,
            severity=severity,
            actor=actor,
            summary=summary,
            service=service,
            policy=policy,
            assignees=page or (),
            drill=drill,
        ),
    )


@incident_app.command("show")
@tocsin_errors
def show(
    incident_id: IncidentId, config: ConfigFile = None, database_url: DatabaseUrl = None
) -> None:
    """An incident: its state, roles, alerts, the SLOs it burned, timeline and pages."""
    with configured_runtime(config, database_url) as runtime:
        detail = runtime.incidents.detail(incident_id)
        view = detail.view
        burn = (
            burned_during(runtime.slos, view.incident, detail.alerts.values())
            if runtime.slos.specs()
            else None
        )
    i = view.incident
    console.print(f"[bold]#{i.id} {escape(i.title)}[/]")
    console.print(
        f"{i.severity.value}, {i.urgency.value} urgency, [bold]{i.status.value}[/]; "
        f"service {i.service or '-'}, team {i.team or '-'}, policy {i.policy or '-'}; "
        f"reply code {i.reply_code}"
    )
    if i.roles:
        console.print("Roles: " + ", ".join(f"{k}: {v}" for k, v in i.roles.items()))
    if view.alerts:
        alerts = Table("Alert", "Firing", "Since", "Resolved")
        for a in view.alerts:
            alerts.add_row(
                a.alertname, "yes" if a.firing else "no", _local(a.added_at), _local(a.resolved_at)
            )
        console.print(alerts)
    if burn is not None:
        until = "now" if burn.ongoing else _local(burn.end)
        console.print(f"SLOs burned, {_local(burn.start)} to {until}:")
        for b in burn.slos:
            linked = " (burn alert)" if b.linked else ""
            console.print(f"  {escape(b.slo_id)}: {escape(burn_words(b))}{linked}")
        if not burn.slos:
            console.print("  none")
    timeline = Table("When", "Who", "What")
    for e in view.timeline:
        timeline.add_row(e.at.strftime("%H:%M:%S"), e.actor, escape(e.text))
    console.print(timeline)


def _simple(name: str, doc: str, call: Callable[[IncidentService, int, str], Incident]) -> None:
    @incident_app.command(name, help=doc)
    @tocsin_errors
    def command(
        incident_id: IncidentId,
        who: As = None,
        config: ConfigFile = None,
        database_url: DatabaseUrl = None,
    ) -> None:
        _act(config, database_url, who, lambda s, actor: call(s, incident_id, actor))


_simple("ack", "Acknowledge: stop paging.", lambda s, i, a: s.acknowledge(i, a, "cli"))
_simple("escalate", "Page the next level now.", lambda s, i, a: s.escalate(i, a))
_simple("reopen", "Reopen a resolved incident (pages again).", lambda s, i, a: s.reopen(i, a))


@incident_app.command("resolve")
@tocsin_errors
def resolve(
    incident_id: IncidentId,
    note: Annotated[str, typer.Option("--note", "-m")] = "",
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Resolve an incident."""
    _act(config, database_url, who, lambda s, a: s.resolve(incident_id, a, note, "cli"))


@incident_app.command("mitigate")
@tocsin_errors
def mitigate(
    incident_id: IncidentId,
    note: Annotated[str, typer.Option("--note", "-m")] = "",
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The impact has stopped (paging stops too)."""
    _act(config, database_url, who, lambda s, a: s.mitigate(incident_id, a, note))


@incident_app.command("note")
@tocsin_errors
def note(
    incident_id: IncidentId,
    text: Annotated[str, typer.Argument(help="The note.")],
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a note to the timeline."""
    _act(config, database_url, who, lambda s, a: s.add_note(incident_id, text, a))


@incident_app.command("severity")
@tocsin_errors
def severity(
    incident_id: IncidentId,
    level: Annotated[str, typer.Argument(help="SEV1..SEV4.")],
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Change the severity."""
    _act(config, database_url, who, lambda s, a: s.set_severity(incident_id, level, a))


@incident_app.command("role")
@tocsin_errors
def role(
    incident_id: IncidentId,
    role_name: Annotated[str, typer.Argument(help="commander, communications, investigator.")],
    user: Annotated[str, typer.Argument(help="Who takes it.")],
    remove: Annotated[bool, typer.Option("--remove", help="Take it away instead.")] = False,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Assign (or --remove) an incident role."""
    _act(
        config,
        database_url,
        who,
        lambda s, a: s.assign_role(incident_id, role_name, user, a, remove=remove),
    )


@incident_app.command("snooze")
@tocsin_errors
def snooze(
    incident_id: IncidentId,
    duration: Annotated[str, typer.Argument(help="e.g. 30m, 2h.")],
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Quiet for a while; paging starts again after it."""
    try:
        length = parse_duration(duration)
    except ValueError as exc:
        raise InputError(f"duration: {exc}") from None
    _act(config, database_url, who, lambda s, a: s.snooze(incident_id, a, length))


@incident_app.command("reassign")
@tocsin_errors
def reassign(
    incident_id: IncidentId,
    user: Annotated[list[str] | None, typer.Option("--user", help="Page this person.")] = None,
    policy: Annotated[str | None, typer.Option("--policy", help="Restart on this policy.")] = None,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Page other people (--user) or another escalation policy (--policy)."""
    _act(
        config,
        database_url,
        who,
        lambda s, a: s.reassign(incident_id, a, users=user or (), policy=policy),
    )


@incident_app.command("merge")
@tocsin_errors
def merge(
    incident_id: IncidentId,
    into: Annotated[int, typer.Option("--into", help="The incident to merge into.")],
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Merge an incident into another (its alerts move; it is resolved as merged)."""
    _act(config, database_url, who, lambda s, a: s.merge(incident_id, into, a))


@tocsin_errors
def test_page(
    user: Annotated[str, typer.Argument(help="The person's id in users:.")],
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Send USER a test notification over each of their contact methods now, and say what
    each provider answered. Exits 1 if any failed."""
    with configured_runtime(config, database_url) as runtime:
        results = runtime.people.test_page(user)
    if not results:
        raise fail(f"user {user!r} has no contact methods")
    table = Table("Method", "Address", "Result")
    for r in results:
        table.add_row(
            r.method.value, r.address, "[green]sent[/]" if r.ok else f"[red]{escape(r.detail)}[/]"
        )
    console.print(table)
    if not all(r.ok for r in results):
        raise typer.Exit(1)
