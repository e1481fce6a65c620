"""``tocsin user calendar-token`` and ``tocsin user messages``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import console, open_runtime, settings_with, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl, schedules
from tocsin.store import messages as message_store

__all__ = ["user_app"]

user_app = typer.Typer(help="People: calendar feeds and the messages Tocsin sent them.")


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
