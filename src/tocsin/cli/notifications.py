"""``tocsin notifications``: what was sent where, what failed and why."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import console, open_runtime, settings_with, tocsin_errors
from tocsin.errors import InputError
from tocsin.notify.content import counts
from tocsin.services.notifications import STATUSES

__all__ = ["notifications"]

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", envvar="TOCSIN_DATABASE_URL", show_default=False)
]


@tocsin_errors
def notifications(
    notification_id: Annotated[
        int | None, typer.Argument(help="Show this one with every attempt.")
    ] = None,
    receiver: Annotated[str | None, typer.Option(help="Only to this receiver.")] = None,
    status: Annotated[str | None, typer.Option(help="pending, sent, failed or superseded.")] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 30,
    database_url: DatabaseUrl = None,
) -> None:
    """Recent notifications (newest first): receiver, integration, status, attempts, error."""
    if status is not None and status not in STATUSES:
        raise InputError(f"--status: must be one of {', '.join(STATUSES)}, not {status!r}")
    runtime = open_runtime(settings_with(database_url))
    try:
        if notification_id is not None:
            delivery, attempts = runtime.notifications.get(notification_id)
            console.print(
                f"#{delivery.id} {delivery.receiver}/{delivery.integration} "
                f"{delivery.status} ({delivery.reason}) group {delivery.group_key}",
                soft_wrap=True,
                highlight=False,
            )
            table = Table("Attempted", "OK", "Status", "ms", "Error")
            for a in attempts:
                table.add_row(
                    a.attempted_at.strftime("%Y-%m-%d %H:%M:%S"),
                    "yes" if a.ok else "no",
                    str(a.status_code or ""),
                    str(a.duration_ms),
                    a.error or "",
                )
            console.print(table)
            return
        found = runtime.notifications.recent(limit=limit, receiver=receiver, status=status)
    finally:
        runtime.db.dispose()
    table = Table(
        "ID", "Created", "Receiver", "Integration", "Status", "Reason", "Alerts", "Tries", "Error"
    )
    for d in found:
        firing, resolved = counts(d.content)
        table.add_row(
            str(d.id),
            d.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            d.receiver,
            d.integration,
            d.status,
            d.reason,
            f"{firing} firing, {resolved} resolved",
            str(d.attempts),
            (d.last_error or "")[:80],
        )
    console.print(table)
