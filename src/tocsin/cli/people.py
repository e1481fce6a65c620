"""``tocsin user list``, ``tocsin team list`` and ``tocsin policy list``: who is configured
and how they are paged."""

from __future__ import annotations

import typer
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl

__all__ = ["list_users", "policy_app", "team_app"]

team_app = typer.Typer(help="Teams.", no_args_is_help=True)
policy_app = typer.Typer(help="Escalation policies.", no_args_is_help=True)


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g}m"


@tocsin_errors
def list_users(config: ConfigFile = None, database_url: DatabaseUrl = None) -> None:
    """People, their contact methods and notification rules."""
    with configured_runtime(config, database_url) as runtime:
        people = runtime.people.users()
    table = Table("Id", "Name", "Contact methods", "High urgency", "Low urgency")
    for u in people:
        table.add_row(
            u.id + (" (admin)" if u.admin else ""),
            u.name,
            ", ".join(m.value for m in u.methods) or "(none)",
            *(
                ", ".join(
                    f"{r.method.value} at {_minutes(r.delay.total_seconds())}"
                    for r in u.rules_for(urgency)
                )
                or "(none)"
                for urgency in ("high", "low")
            ),
        )
    console.print(table)


@team_app.command("list")
@tocsin_errors
def list_teams(config: ConfigFile = None, database_url: DatabaseUrl = None) -> None:
    """Teams and their members."""
    with configured_runtime(config, database_url) as runtime:
        teams = runtime.people.teams()
    table = Table("Team", "Members", "Managers")
    for t in teams:
        table.add_row(t.name, ", ".join(t.members), ", ".join(t.managers))
    console.print(table)


@policy_app.command("list")
@tocsin_errors
def list_policies(config: ConfigFile = None, database_url: DatabaseUrl = None) -> None:
    """Escalation policies, level by level."""
    with configured_runtime(config, database_url) as runtime:
        policies = runtime.people.policies()
    table = Table("Policy", "Level", "Targets", "Then after", "Mode")
    for p in policies:
        for i, level in enumerate(p.levels):
            table.add_row(
                p.name if i == 0 else "",
                str(i + 1),
                ", ".join(str(t) for t in level.targets),
                _minutes(level.delay.total_seconds()),
                level.mode.value,
            )
        extra = [f"repeat {p.repeat}x"] if p.repeat else []
        if p.ack_timeout:
            extra.append(f"ack timeout {_minutes(p.ack_timeout.total_seconds())}")
        if extra:
            table.add_row("", "", "; ".join(extra), "", "")
    console.print(table)
