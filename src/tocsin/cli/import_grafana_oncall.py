"""``tocsin import grafana-oncall``: a Grafana OnCall OSS setup as tocsin.yaml, from its
public API (``--url``, the API key in TOCSIN_IMPORT_TOKEN) or from saved answers
(``--from FOLDER``); docs/import-grafana-oncall.md."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.cli.context import tocsin_errors
from tocsin.cli.importers import (
    DryRun,
    From,
    Output,
    Token,
    Url,
    import_app,
    run_import,
    source_of,
)
from tocsin.integrations.importers.grafana_oncall_import import (
    api_base,
    headers,
    import_grafana_oncall,
)

__all__ = ["grafana_oncall"]

GrafanaUrl = Annotated[
    str | None,
    typer.Option(
        "--grafana-url",
        help="With a Grafana service account token: the Grafana stack's URL (X-Grafana-URL).",
    ),
]


@import_app.command("grafana-oncall")
@tocsin_errors
def grafana_oncall(
    url: Url = None,
    token: Token = None,
    folder: From = None,
    output: Output = None,
    dry_run: DryRun = False,
    grafana_url: GrafanaUrl = None,
) -> None:
    """Grafana OnCall OSS: users and notification rules, teams, web and calendar
    schedules, escalation chains, integrations and routes.

    --url is the OnCall API's address (https://oncall.example.com; /api/v1 is added).
    --from reads users.json, teams.json, schedules.json, on_call_shifts.json,
    escalation_chains.json, escalation_policies.json, integrations.json, routes.json and
    personal_notification_rules.json: each the answer of /api/v1/<name>/.
    """
    source = source_of(
        api_base(url) if url else None,
        token,
        folder,
        lambda key: headers(key, grafana_url),
    )
    run_import(import_grafana_oncall(source), output, dry_run)
