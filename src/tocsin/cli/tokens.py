"""``tocsin token create|list|revoke``: API tokens (docs/security.md, "API tokens").

The CLI runs with the database's credentials, so it acts as the site's operator: it may
make a personal token for any person (say, the first one, for a script) and a service token
for any team. The token is printed once; only its digest is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, operator, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.domain.access import Scope
from tocsin.errors import InputError
from tocsin.services.api_tokens import lifetime_of

__all__ = ["token_app"]

token_app = typer.Typer(help="API tokens: personal and service.", no_args_is_help=True)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at is not None else "-"


@token_app.command("create")
@tocsin_errors
def create(
    name: Annotated[str, typer.Argument(help="What it is for, e.g. 'deploy bot'.")],
    user: Annotated[
        str | None, typer.Option("--user", help="A personal token acting as this person.")
    ] = None,
    service: Annotated[
        bool, typer.Option("--service", help="A service token (acts as itself).")
    ] = False,
    scope: Annotated[Scope, typer.Option("--scope", help="read, respond or manage.")] = (
        Scope.READ
    ),
    team: Annotated[str | None, typer.Option("--team", help="Only this team's objects.")] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="e.g. 30d, or never (default 90d).")
    ] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make an API token and print it (shown once)."""
    if service == (user is not None):
        raise InputError("give either --user USER (a personal token) or --service")
    with configured_runtime(config, database_url) as runtime:
        row, token = runtime.api_tokens.create(
            kind="service" if service else "personal",
            name=name,
            scope=scope.value,
            created_by="cli",
            owner=user,
            team=team,
            lifetime=lifetime_of(expires),
        )
    whose = f"acting as {row.owner}" if row.owner else "a service token"
    console.print(
        f"Created API token {row.id} [bold]{escape(row.name)}[/] ({whose}, scope {row.scope}"
        + (f", team {row.team}" if row.team else "")
        + f", expires {_when(row.expires_at)})."
    )
    console.print(f"Token (shown once): [bold green]{token}[/]", soft_wrap=True)
    console.print(f"Use it as: Authorization: Bearer {token}", soft_wrap=True, highlight=False)


@token_app.command("list")
@tocsin_errors
def list_tokens(
    user: Annotated[str | None, typer.Option("--user", help="Only this person's.")] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every API token (never the token itself): who, scope, expiry, last use."""
    with configured_runtime(config, database_url) as runtime:
        rows = runtime.api_tokens.listing(owner=user)
        now = runtime.clock.now()
    table = Table("Id", "Name", "Acts as", "Scope", "Team", "Expires", "Last used", "State")
    for t in rows:
        state = "revoked" if t.revoked_at else ("live" if t.live(now) else "expired")
        table.add_row(
            str(t.id),
            escape(t.name),
            escape(t.owner or "(service)"),
            t.scope,
            escape(t.team or "-"),
            _when(t.expires_at) if t.expires_at else "never",
            _when(t.last_used_at),
            state,
        )
    console.print(table)


@token_app.command("revoke")
@tocsin_errors
def revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (tocsin token list).")],
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a token: it stops working at once (within seconds on other nodes)."""
    with configured_runtime(config, database_url) as runtime:
        row = runtime.api_tokens.revoke(token_id, operator(runtime))
    console.print(f"Revoked API token {row.id} {escape(row.name)}.")
