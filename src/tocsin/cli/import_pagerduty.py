"""``tocsin import pagerduty``: PagerDuty's users, teams, schedules, escalation policies and
services as tocsin.yaml, from the REST API v2 or from its answers saved as files
(docs/import-pagerduty.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from tocsin.cli.context import tocsin_errors
from tocsin.cli.importers import DryRun, From, Output, Token, Url, import_app, run_import, source_of
from tocsin.engine.clock import SystemClock
from tocsin.integrations.importers.pagerduty_import import import_pagerduty, pagerduty_headers

__all__ = ["pagerduty"]


@import_app.command("pagerduty")
@tocsin_errors
def pagerduty(
    url: Url = None,
    token: Token = None,
    folder: From = None,
    output: Output = None,
    dry_run: DryRun = False,
    override_days: Annotated[
        int,
        typer.Option(
            "--override-days", min=0, help="Import the overrides of the next N days (0: none)."
        ),
    ] = 90,
) -> None:
    """PagerDuty (REST API v2, e.g. --url https://api.pagerduty.com, a read-only API key in
    TOCSIN_IMPORT_TOKEN) or files saved from it (--from FOLDER)."""
    source = source_of(url, token, folder, pagerduty_headers)
    imported = import_pagerduty(source, SystemClock().now(), timedelta(days=override_days))
    run_import(imported, output, dry_run)
