"""``tocsin slo ...``: service level objectives from the command line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tocsin.cli.context import configured_runtime, console, tocsin_errors
from tocsin.cli.routing import ConfigFile, load
from tocsin.cli.schedules import DatabaseUrl
from tocsin.domain.slo_specs import BuiltinSli
from tocsin.integrations.prometheus_slo_rules import slo_rules_yaml

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


def _minutes(span: timedelta | None) -> str:
    if span is None:
        return "-"
    minutes = span / timedelta(minutes=1)
    return f"{minutes:,.1f} min" if abs(minutes) < 600 else f"{minutes / 60:,.1f} h"


@slo_app.command("status")
@tocsin_errors
def status(config: ConfigFile = None, database_url: DatabaseUrl = None) -> None:
    """Each SLO's SLI, error budget left, burn rate and time to exhaustion."""
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
            if not isinstance(spec.sli, BuiltinSli):
                table.add_row(
                    spec.id,
                    f"{spec.target:g} %",
                    spec.window.label(),
                    "from Prometheus",
                    "",
                    "",
                    "",
                    "",
                )
                continue
            s = runtime.slos.status(spec.id)
            table.add_row(
                spec.id,
                f"{spec.target:g} %",
                spec.window.label(),
                "-" if s.sli is None else f"{s.sli * 100:.3f} %",
                f"{s.budget_remaining * 100:.1f} % ({_minutes(s.budget_remaining_time)})",
                "-" if s.burn_rate is None else f"{s.burn_rate:.2f}",
                _minutes(s.exhausted_in),
                ", ".join(sorted(f.value for f in s.firing)) or "no",
            )
    console.print(table)
