"""``tocsin incident update|draft|channel|page``: an incident's communication from the
command line (stakeholder updates, to the status page too; its Slack channel or Teams card;
paging someone to help)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.incidents import As, IncidentId, actor_of, incident_app
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.config.durations import parse_duration
from tocsin.domain.incident_updates import PARTS, UpdateParts
from tocsin.errors import InputError
from tocsin.services.incident_comms import PublicUpdate

__all__ = ["channel", "draft", "page", "update"]


def _components(pairs: list[str]) -> dict[int, str]:
    out: dict[int, str] = {}
    for pair in pairs:
        key, sep, status = pair.partition("=")
        if not sep or not key.strip().isdigit():
            raise InputError(f"--component {pair!r}: write ID=STATUS, e.g. 3=partial_outage")
        out[int(key)] = status.strip()
    return out


@incident_app.command("update")
@tocsin_errors
def update(
    incident_id: IncidentId,
    message: Annotated[str, typer.Option("-m", "--message", help="Free text.")] = "",
    affected: Annotated[str, typer.Option(help="What is affected.")] = "",
    status: Annotated[str, typer.Option(help="The current status.")] = "",
    impact: Annotated[str, typer.Option(help="The impact on customers.")] = "",
    actions: Annotated[str, typer.Option(help="What is being done.")] = "",
    next_in: Annotated[
        str | None, typer.Option("--next", help="When the next update is due, e.g. 30m.")
    ] = None,
    public: Annotated[
        str | None,
        typer.Option(
            "--public-status", help="Also post to the status page: investigating ... resolved."
        ),
    ] = None,
    public_body: Annotated[str, typer.Option(help="The status page's words.")] = "",
    public_title: Annotated[str | None, typer.Option(help="The public title (first post).")] = None,
    component: Annotated[
        list[str], typer.Option("--component", help="ID=STATUS, e.g. 3=partial_outage.")
    ] = [],  # noqa: B006 - Typer reads the default
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Post a stakeholder update: to the timeline, the incident's rooms and, with
    --public-status, the status page."""
    parts = UpdateParts(
        affected=affected, status=status, impact=impact, actions=actions, message=message
    )
    try:
        every = parse_duration(next_in) if next_in else None
    except ValueError as exc:
        raise InputError(f"--next: {exc}") from None
    post = None
    if public is not None:
        post = PublicUpdate(public, public_body, public_title, None, _components(component))
    with configured_runtime(config, database_url) as runtime:
        incident, published = runtime.comms.post_update(
            incident_id, actor_of(runtime, who), parts, next_in=every, public=post
        )
    due = incident.next_update_at
    console.print(
        f"#{incident.id}: update posted"
        + (f"; next due {due:%Y-%m-%d %H:%M} UTC" if due else "")
        + (f"; status page #{published.id} {published.status}" if published else "")
    )


@incident_app.command("draft")
@tocsin_errors
def draft(
    incident_id: IncidentId, config: ConfigFile = None, database_url: DatabaseUrl = None
) -> None:
    """Print an update to start from, filled from the incident."""
    with configured_runtime(config, database_url) as runtime:
        parts = runtime.incidents.draft_update(incident_id)
        due = runtime.incidents.get(incident_id).next_update_at
    for name, label in PARTS:
        console.print(f"[bold]{label}:[/] {escape(getattr(parts, name))}")
    console.print(f"[bold]Next update:[/] {due:%Y-%m-%d %H:%M} UTC" if due else "")


@incident_app.command("channel")
@tocsin_errors
def channel(
    incident_id: IncidentId,
    teams: Annotated[bool, typer.Option("--teams", help="A Teams card instead.")] = False,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make the incident's Slack channel (or Teams card); the server's engine makes it."""
    provider = "teams" if teams else "slack"
    with configured_runtime(config, database_url) as runtime:
        made = runtime.incidents.request_room(incident_id, provider, actor_of(runtime, who))
    console.print(
        f"#{incident_id}: {provider} room requested" if made else f"#{incident_id} has one already"
    )


@incident_app.command("page")
@tocsin_errors
def page(
    incident_id: IncidentId,
    user: Annotated[str | None, typer.Option(help="The person to page.")] = None,
    schedule: Annotated[str | None, typer.Option(help="Page who is on call.")] = None,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Page someone (or whoever is on call for a schedule) to help."""
    with configured_runtime(config, database_url) as runtime:
        runtime.incidents.add_responder(
            incident_id, actor_of(runtime, who), user=user, schedule=schedule
        )
    console.print(f"#{incident_id}: paged {user or f'on call for {schedule}'}")
