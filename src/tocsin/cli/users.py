"""``tocsin user create|password|unlock|calendar-token|messages``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import console, open_runtime, settings_with, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl, schedules
from tocsin.domain.access import Role
from tocsin.store import messages as message_store

__all__ = ["user_app"]

user_app = typer.Typer(
    help="People: web sign-in, calendar feeds and the messages Tocsin sent them."
)


Password = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from standard input instead of asking."
    ),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _settings(config: str | None, database_url: str | None) -> dict[str, str]:
    path = config or "tocsin.yaml"
    return {"config": path} if Path(path).exists() else {}


@user_app.command("create")
@tocsin_errors
def create(
    user: Annotated[str, typer.Argument(help="Their id: a user in users:, or a new one.")],
    admin: Annotated[bool, typer.Option("--admin", help="May change anything.")] = False,
    role: Annotated[
        Role | None,
        typer.Option("--role", help="stakeholder, viewer, responder (default) or admin."),
    ] = None,
    name: Annotated[str, typer.Option("--name")] = "",
    email: Annotated[str | None, typer.Option("--email")] = None,
    password_stdin: Password = False,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Let USER sign in to the web UI (first run: `tocsin user create you --admin`)."""
    password = _password(password_stdin)
    runtime = open_runtime(settings_with(database_url, **_settings(config, database_url)))
    try:
        account = runtime.accounts.create(
            user, password, admin=admin, name=name, email=email, role=role
        )
        made = runtime.accounts.person(user).role
    finally:
        runtime.db.dispose()
    console.print(
        f"{account.user_id} can sign in at {runtime.settings.public_url}/ as "
        f"{'an' if made is Role.ADMIN else 'a'} {made.value}"
    )


@user_app.command("password")
@tocsin_errors
def password(
    user: Annotated[str, typer.Argument(help="A user in users: or made with `user create`.")],
    password_stdin: Password = False,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set USER's web sign-in password (their open sessions end)."""
    secret = _password(password_stdin)
    runtime = open_runtime(settings_with(database_url, **_settings(config, database_url)))
    try:
        runtime.accounts.set_password(user, secret)
    finally:
        runtime.db.dispose()
    console.print(f"{user}'s password is set; their other sessions have ended")


@user_app.command("unlock")
@tocsin_errors
def unlock(
    user: Annotated[str, typer.Argument(help="A user locked out after wrong passwords.")],
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Let USER sign in again now, after repeated wrong passwords locked their account."""
    runtime = open_runtime(settings_with(database_url, **_settings(config, database_url)))
    try:
        had = runtime.accounts.unlock(user)
    finally:
        runtime.db.dispose()
    console.print(f"{user} may sign in now" if had else f"{user} was not locked")


@user_app.command("calendar-token")
@tocsin_errors
def calendar_token(
    user: Annotated[str, typer.Argument(help="The person's id in users:.")],
    url: Annotated[
        str, typer.Option("--url", envvar="TOCSIN_EXTERNAL_URL", help="Tocsin's address.")
    ] = "http://127.0.0.1:8080",
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """A new secret calendar feed address for USER (the old one stops working)."""
    with schedules(config, database_url) as service:
        token = service.new_calendar_token(user)
    console.print(f"{url.rstrip('/')}/ical/users/{user}.ics?token={token}", soft_wrap=True)


@user_app.command("messages")
@tocsin_errors
def messages(
    user: Annotated[str | None, typer.Argument(help="Default: everyone.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 30,
    database_url: DatabaseUrl = None,
) -> None:
    """Messages sent to people (handoff summaries, shift reminders, swaps), newest first."""
    runtime = open_runtime(settings_with(database_url))
    try:
        with runtime.db.read() as conn:
            found = message_store.recent(conn, user, limit)
    finally:
        runtime.db.dispose()
    table = Table("Created (UTC)", "To", "Kind", "Status", "Subject", "Error")
    for m in found:
        table.add_row(
            m.created_at.strftime("%Y-%m-%d %H:%M"),
            m.user,
            m.kind,
            m.status,
            m.subject,
            m.last_error or "",
        )
    console.print(table)
