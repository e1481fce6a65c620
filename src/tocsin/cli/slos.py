"""``tocsin slo ...``: service level objectives from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tocsin.cli.context import console, tocsin_errors
from tocsin.cli.routing import ConfigFile, load
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
