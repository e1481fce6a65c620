"""``tocsin import opsgenie``: Opsgenie's users, teams, schedules and escalations as
tocsin.yaml, from its REST API v2 or from files saved from it (docs/import-opsgenie.md)."""

from __future__ import annotations

from tocsin.cli.context import tocsin_errors
from tocsin.cli.importers import DryRun, From, Output, Token, Url, import_app, run_import, source_of
from tocsin.integrations.importers.opsgenie_import import api_base, headers, import_opsgenie

__all__ = ["opsgenie"]


@import_app.command("opsgenie")
@tocsin_errors
def opsgenie(
    url: Url = None,
    token: Token = None,
    folder: From = None,
    output: Output = None,
    dry_run: DryRun = False,
) -> None:
    """From Opsgenie: --url https://api.opsgenie.com (or https://api.eu.opsgenie.com) with
    an API key in TOCSIN_IMPORT_TOKEN (sent as ``Authorization: GenieKey``; read access is
    enough), or --from a folder of saved answers. Nothing in Opsgenie changes."""
    source = source_of(None if url is None else api_base(url), token, folder, headers)
    run_import(import_opsgenie(source), output, dry_run)
