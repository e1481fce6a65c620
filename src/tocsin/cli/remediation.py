"""``tocsin remediation list|run|approve|reject|runs``: remediation actions from the command
line, on the server's database. A run asked for here is queued: the server's engine runs it
(``tocsin remediation runs --incident N`` shows how it went)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.incidents import As, actor_of
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.domain.durations import duration_text
from tocsin.store.remediation_runs import Run

__all__ = ["remediation_app"]

remediation_app = typer.Typer(
    help="Remediation actions: list them, run one for an incident, approve a dangerous run.",
    no_args_is_help=True,
)
RunNumber = Annotated[int, typer.Argument(help="The run's number.", min=1)]


@remediation_app.command("list")
@tocsin_errors
def list_actions(config: ConfigFile = None, database_url: DatabaseUrl = None) -> None:
    """The actions configured (remediation: in tocsin.yaml)."""
    with configured_runtime(config, database_url) as runtime:
        actions = runtime.remediation.actions()
    table = Table("Action", "What", "Timeout", "Dangerous", "Rate limit", "Triggers")
    for a in actions:
        triggers = [str(m) for m in a.matchers]
        if a.escalation:
            triggers.append(f"level {a.escalation.level} of {a.escalation.policy}")
        table.add_row(
            escape(a.name) + (" [dim](dry run)[/]" if a.dry_run else ""),
            escape(a.what),
            duration_text(a.timeout),
            "yes" if a.dangerous else "",
            str(a.rate_limit) if a.rate_limit else "",
            escape(", ".join(triggers)),
        )
    console.print(table)
    if not actions:
        console.print("No remediation actions are configured.")


@remediation_app.command("run")
@tocsin_errors
def run(
    action: Annotated[str, typer.Argument(help="The action's name.")],
    incident: Annotated[int, typer.Option("--incident", help="The incident's number.", min=1)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Render and record only, never run.")
    ] = False,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Run an action for an incident (a dangerous one waits for someone else's approval)."""
    with configured_runtime(config, database_url) as runtime:
        found = runtime.remediation.request(
            incident, action, actor_of(runtime, who), dry_run=dry_run
        )
    _said(found)


@remediation_app.command("approve")
@tocsin_errors
def approve(
    run_id: RunNumber, who: As = None, config: ConfigFile = None, database_url: DatabaseUrl = None
) -> None:
    """Approve a dangerous run someone else asked for: it runs."""
    with configured_runtime(config, database_url) as runtime:
        found = runtime.remediation.approve(run_id, actor_of(runtime, who))
    _said(found)


@remediation_app.command("reject")
@tocsin_errors
def reject(
    run_id: RunNumber, who: As = None, config: ConfigFile = None, database_url: DatabaseUrl = None
) -> None:
    """Reject a dangerous run: it never runs."""
    with configured_runtime(config, database_url) as runtime:
        found = runtime.remediation.reject(run_id, actor_of(runtime, who))
    _said(found)


@remediation_app.command("runs")
@tocsin_errors
def runs(
    incident: Annotated[int, typer.Option("--incident", help="The incident's number.", min=1)],
    output: Annotated[bool, typer.Option("--output", help="Show each run's output.")] = False,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """An incident's runs, newest first."""
    with configured_runtime(config, database_url) as runtime:
        found = runtime.remediation.runs(incident)
    table = Table("Run", "Action", "State", "Asked by", "Approver", "Result", "What", "Why")
    for r in found:
        table.add_row(
            str(r.id),
            escape(r.action),
            r.state.value,
            escape(r.requested_by),
            escape(r.approver or ""),
            "" if r.result is None else str(r.result),
            escape(r.request.what),
            escape(r.reason or ""),
        )
    console.print(table)
    if not found:
        console.print(f"No remediation runs for incident #{incident}.")
    if output:
        for r in found:
            if r.output:
                console.print(f"[bold]Run {r.id}[/] output:")
                console.print(escape(r.output), highlight=False)


def _said(r: Run) -> None:
    why = f" ({escape(r.reason)})" if r.reason else ""
    console.print(
        f"Run {r.id}: {escape(r.action)} for incident #{r.incident_id}: "
        f"[bold]{r.state.value}[/]{why}"
    )
    if r.dry_run:
        console.print(f"Would run: {escape(r.request.what)}", highlight=False)
        if r.request.body:
            console.print(f"Body: {escape(r.request.body)}", highlight=False)
