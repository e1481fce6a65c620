"""``tocsin heartbeat list|token``: heartbeat monitors (docs/heartbeats.md).

``token NAME`` prints the heartbeat's token with its ping URL, a crontab line and an
Alertmanager Watchdog receiver that carry it; ``--rotate`` makes a new one (the old one is
refused at once). The token is a secret: run it where only admins read the terminal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.domain.durations import duration_text
from tocsin.domain.heartbeat_setup import setup

__all__ = ["heartbeat_app"]

heartbeat_app = typer.Typer(
    help="Heartbeat monitors (dead man's switches): their state and their tokens.",
    no_args_is_help=True,
)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at is not None else "-"


@heartbeat_app.command("list")
@tocsin_errors
def list_heartbeats(config: ConfigFile = None, database_url: DatabaseUrl = None) -> None:
    """Every configured heartbeat: state, last ping, next deadline."""
    with configured_runtime(config, database_url) as runtime:
        views = runtime.heartbeats.list()
    table = Table("Heartbeat", "State", "Every", "Grace", "Last ping", "Deadline", "Down since")
    for view in views:
        spec, status = view.spec, view.status
        table.add_row(
            escape(spec.name),
            view.state.upper() if view.state in ("down", "late") else view.state,
            duration_text(spec.interval),
            duration_text(spec.grace),
            _when(status.last_ping_at),
            _when(view.deadline),
            _when(status.down_since),
        )
    console.print(table)
    if not views:
        console.print("No heartbeats in the configuration (heartbeats: in tocsin.yaml).")


@heartbeat_app.command("token")
@tocsin_errors
def token(
    name: Annotated[str, typer.Argument(help="The heartbeat's name.")],
    rotate: Annotated[
        bool, typer.Option("--rotate", help="Make a new token; the old one is refused at once.")
    ] = False,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Print the heartbeat's token, ping URL, a crontab line and an Alertmanager receiver."""
    with configured_runtime(config, database_url) as runtime:
        secret = runtime.heartbeats.token(name, rotate=rotate)
        spec = runtime.heartbeats.get(name).spec
        made = setup(spec, runtime.settings.public_url, secret)
    if rotate:
        console.print(f"New token for [bold]{escape(name)}[/]: the old one no longer works.")
    console.print(f"Token: [bold green]{secret}[/]", soft_wrap=True, highlight=False)
    console.print(f"Ping URL: {made.ping_url}  (failure: {made.fail_url})", highlight=False)
    console.print("\nFrom a shell or cron:", highlight=False)
    console.print(escape(made.curl), soft_wrap=True, highlight=False)
    console.print("\nA crontab line (your job, then the ping; a failure pings /fail):")
    console.print(escape(made.crontab), soft_wrap=True, highlight=False)
    console.print("\nAn Alertmanager Watchdog route and receiver (alertmanager.yml):")
    console.print(escape(made.alertmanager), soft_wrap=True, highlight=False)
