"""``tocsin drill run|report|list`` and ``tocsin tabletop list|report``: drills and tabletop
exercises from the command line (docs/drills.md). A drill run here is paged by the server's
engine, on the same database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.incidents import As, IncidentId, actor_of
from tocsin.cli.routing import ConfigFile
from tocsin.cli.schedules import DatabaseUrl
from tocsin.domain.durations import duration_text

__all__ = ["drill_app", "tabletop_app"]

drill_app = typer.Typer(
    help="Drills: practice incidents paged through the real path, marked DRILL.",
    no_args_is_help=True,
)
tabletop_app = typer.Typer(
    help="Tabletop exercises: scenarios walked through by a team, and their reports.",
    no_args_is_help=True,
)

Output = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the Markdown report to this file.")
]


@drill_app.command("run")
@tocsin_errors
def run(
    policy: Annotated[str, typer.Argument(help="The escalation policy to page.")],
    severity: Annotated[str, typer.Option("--severity", help="SEV1..SEV4.")] = "SEV3",
    title: Annotated[str | None, typer.Option("--title", help="What the drill is called.")] = None,
    who: As = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Declare a drill on POLICY: it pages at once, every message marked DRILL."""
    with configured_runtime(config, database_url) as runtime:
        incident = runtime.drills.run(
            policy, actor_of(runtime, who), severity=severity, title=title
        )
        base = runtime.settings.public_url
    console.print(f"Drill #{incident.id} {escape(incident.title)} on {policy}: paging.")
    console.print(f"Report: {base}/drills/{incident.id} (or: tocsin drill report {incident.id})")


@drill_app.command("report")
@tocsin_errors
def report(
    incident_id: IncidentId,
    output: Output = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """How a drill's paging went: per level who was paged, how, and what failed."""
    with configured_runtime(config, database_url) as runtime:
        found = runtime.drills.report(incident_id)
    if output is not None:
        output.write_text(found.markdown())
        console.print(f"Wrote {output}")
        return
    console.print(f"[bold]Drill #{found.incident_id}[/] {escape(found.title)}: {found.verdict}")
    table = Table("Level", "Paged", "Outcome", "Time to ack", "Pages")
    for lv in found.levels:
        table.add_row(
            f"{lv.level}" + (f" (pass {lv.loop})" if lv.loop > 1 else ""),
            escape(", ".join([*lv.users, *(f"#{c}" for c in lv.channels)]) or "nobody"),
            lv.outcome + (f" by {lv.acknowledged_by}" if lv.acknowledged_by else ""),
            duration_text(lv.time_to_ack),
            escape("; ".join(f"{p.user} {p.method}: {p.status}" for p in lv.pages)),
        )
    console.print(table)
    console.print("[bold]What failed[/]")
    for f in found.failures or ():
        console.print(f"- {escape(f.text)}")
    if not found.failures:
        console.print("- Nothing")


@drill_app.command("list")
@tocsin_errors
def list_drills(
    limit: Annotated[int, typer.Option("--limit", "-n")] = 50,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Drills, newest first, and the scheduled ones."""
    with configured_runtime(config, database_url) as runtime:
        found = runtime.drills.drills(limit)
        planned = runtime.drills.schedule()
    table = Table("#", "Title", "Policy", "Started", "Outcome", "Failures")
    for r in found:
        table.add_row(
            str(r.incident_id),
            escape(r.title),
            r.policy or "",
            f"{r.started_at:%Y-%m-%d %H:%M} UTC",
            escape(r.verdict),
            str(len(r.failures)),
        )
    console.print(table)
    if planned:
        sched = Table("Policy", "Rule", "Time zone", "Next")
        for p in planned:
            sched.add_row(
                p.drill.policy,
                escape(p.drill.rrule),
                p.drill.time_zone,
                f"{p.next_at:%Y-%m-%d %H:%M} UTC" if p.next_at else "never",
            )
        console.print(sched)


@tabletop_app.command("list")
@tocsin_errors
def list_scenarios(config: ConfigFile = None, database_url: DatabaseUrl = None) -> None:
    """The tabletop scenarios (drills.scenarios) and the sessions run."""
    with configured_runtime(config, database_url) as runtime:
        scenarios = runtime.tabletop.scenarios()
        sessions = runtime.tabletop.sessions()
    table = Table("Scenario", "Title", "Steps", "File")
    for s in scenarios:
        table.add_row(s.name, escape(s.title), str(len(s.steps)), escape(s.path))
    console.print(table)
    if sessions:
        done = Table("Session", "Scenario", "Started", "State")
        for run in sessions:
            done.add_row(
                str(run.id),
                run.scenario,
                f"{run.started_at:%Y-%m-%d %H:%M} UTC by {run.started_by}",
                run.state,
            )
        console.print(done)


@tabletop_app.command("report")
@tocsin_errors
def tabletop_report(
    session_id: Annotated[int, typer.Argument(help="The session's number.")],
    output: Output = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """A tabletop session's report, as Markdown."""
    with configured_runtime(config, database_url) as runtime:
        text = runtime.tabletop.markdown(session_id)
    if output is not None:
        output.write_text(text)
        console.print(f"Wrote {output}")
        return
    typer.echo(text)
