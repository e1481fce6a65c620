"""``tocsin slo ...``: service level objectives from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.incidents import actor_of
from tocsin.cli.routing import ConfigFile, load
from tocsin.cli.schedules import DatabaseUrl
from tocsin.cli.slo_report import print_report, span_words
from tocsin.config.durations import parse_duration
from tocsin.domain.access import Need
from tocsin.errors import InputError, Unavailable
from tocsin.integrations.prometheus_slo_rules import slo_rules_yaml
from tocsin.services.access import service_team

__all__ = ["slo_app"]

slo_app = typer.Typer(help="Service level objectives and error budgets.", no_args_is_help=True)


@slo_app.command("rules")
@tocsin_errors
def rules(
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here (default: print).")
    ] = None,
    config: ConfigFile = None,
) -> None:
    """Prometheus recording and alerting rules for every SLO (Sloth-compatible)."""
    text = slo_rules_yaml(load(config).slos)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text)
    console.print(f"wrote {output}")


@slo_app.command("status")
@tocsin_errors
def status(
    slo: Annotated[
        str | None, typer.Argument(help="One SLO (<service>-<name>): its windows and burn-down.")
    ] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Each SLO's SLI, error budget left, burn rate and time to exhaustion; with an SLO,
    its burn rate per alert window and its burn-down over the period."""
    if slo is not None:
        with configured_runtime(config, database_url) as runtime:
            print_report(runtime.slos.status(slo), runtime.slos.burn_down(slo, points=60))
        return
    table = Table(
        "SLO",
        "objective",
        "window",
        "SLI",
        "budget left",
        "burn rate (1h)",
        "runs out in",
        "alerting",
    )
    with configured_runtime(config, database_url) as runtime:
        for spec in runtime.slos.specs():
            try:
                s = runtime.slos.status(spec.id)
            except Unavailable as exc:
                why = f"[yellow]unavailable[/]: {exc}"
                table.add_row(spec.id, f"{spec.target:g} %", spec.window.label(), why)
                continue
            table.add_row(
                spec.id,
                f"{spec.target:g} %",
                spec.window.label(),
                "-" if s.sli is None else f"{s.sli * 100:.3f} %",
                f"{s.budget_remaining * 100:.1f} % ({span_words(s.budget_remaining_time)})",
                "-" if s.burn_rate is None else f"{s.burn_rate:.2f}",
                span_words(s.exhausted_in),
                ", ".join(sorted(f.value for f in s.firing)) or "no",
            )
    console.print(table)


@slo_app.command("gate")
@tocsin_errors
def gate(
    service: Annotated[str, typer.Argument(help="The service about to be released.")],
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Exit 0 when the service may release; 1, with the reasons, when its error budget is
    spent or a page-level burn alert fires (and no exception is open)."""
    with configured_runtime(config, database_url) as runtime:
        answer = runtime.gate.check(service)
    for reason in answer.reasons:
        console.print(f"- {reason}", soft_wrap=True, highlight=False)
    for note in answer.notes:
        console.print(f"[dim]note: {note}[/]", soft_wrap=True, highlight=False)
    if answer.exception is not None and answer.reasons:
        e = answer.exception
        console.print(
            f"open by exception #{e.id} ({e.created_by}: {e.reason}) until "
            f"{e.expires_at:%Y-%m-%d %H:%M} UTC",
            soft_wrap=True,
            highlight=False,
        )
    if not answer.open:
        console.print(f"[bold red]closed[/]: releases of {service} are frozen")
        raise typer.Exit(1)
    console.print(f"[bold green]open[/]: {service} may release")


@slo_app.command("exception")
@tocsin_errors
def exception(
    service: Annotated[str, typer.Argument(help="The service.")],
    reason: Annotated[str, typer.Option(help="Why releases may go ahead.")],
    for_: Annotated[str, typer.Option("--for", help="How long, e.g. 4h (at most 7d).")] = "4h",
    who: Annotated[str | None, typer.Option("--as", envvar="TOCSIN_USER")] = None,
    config: ConfigFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Open the release gate for a while despite the error budget (audited)."""
    try:
        length = parse_duration(for_)
    except ValueError as exc:
        raise InputError(f"--for: {exc}") from None
    with configured_runtime(config, database_url) as runtime:
        # Opening the gate is the service's team managers' call (docs/security.md).
        team = service_team(runtime.routing, service)
        made = runtime.gate.grant(
            service, reason, length, actor_of(runtime, who, Need.MANAGE, team)
        )
    console.print(
        f"exception #{made.id}: {service} may release until {made.expires_at:%Y-%m-%d %H:%M} UTC"
    )
