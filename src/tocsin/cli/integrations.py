"""``tocsin integration create|list|rotate-token``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pydantic
import typer
from rich.table import Table

from tocsin.cli.context import console, open_runtime, settings_with, tocsin_errors
from tocsin.config.yaml_source import load_yaml
from tocsin.domain.integrations import Integration, IntegrationKind
from tocsin.errors import FieldProblem, InputError
from tocsin.integrations.webhook import WebhookMapping

__all__ = ["app"]

app = typer.Typer(help="Inbound integrations and their tokens.", no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", envvar="TOCSIN_DATABASE_URL", show_default=False)
]


def _how_to_send(integration: Integration, token: str, base: str) -> str:
    kind = integration.kind
    if kind is IntegrationKind.ALERTMANAGER:
        return (
            f"Prometheus alerting.alertmanagers: static_configs targets ['{base.split('://')[-1]}'],"
            f" authorization: {{credentials: {token}}}"
        )
    if kind is IntegrationKind.ALERTMANAGER_WEBHOOK:
        return (
            f"Alertmanager webhook_configs: url: {base}/integrations/alertmanager, "
            f"http_config: {{authorization: {{credentials: {token}}}}}"
        )
    if kind is IntegrationKind.PAGERDUTY:
        return f"POST {base}/v2/enqueue with routing_key {token}"
    if kind is IntegrationKind.OPSGENIE:
        return f"POST {base}/v2/alerts with header 'Authorization: GenieKey {token}'"
    return f"POST {base}/integrations/webhook/{token}"


def _settings_from(mapping: Path | None) -> dict[str, Any]:
    if mapping is None:
        return {}
    source = load_yaml(mapping)
    if not isinstance(source.data, dict):
        raise source.error([], "must be a mapping of field names to JSON paths")
    try:
        WebhookMapping.model_validate(source.data)
    except pydantic.ValidationError as exc:
        raise source.validation_error(exc) from None
    return {"mapping": source.data}


def _labels(given: list[str]) -> dict[str, Any]:
    """``--label name=value`` options as the integration's settings; InputError naming a
    bad one."""
    labels: dict[str, str] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(FieldProblem("--label", f"{item!r}: expected name=value"))
        labels[name] = value  # each checked where every integration's settings are
    return {"labels": labels} if labels else {}


@app.command("create")
@tocsin_errors
def create(
    name: Annotated[str, typer.Argument(help="A unique name, e.g. prometheus-prod.")],
    kind: Annotated[IntegrationKind, typer.Option("--kind", "-k", help="What will send to it.")],
    mapping: Annotated[
        Path | None,
        typer.Option(help="webhook only: YAML file mapping the sender's JSON to alert fields."),
    ] = None,
    team: Annotated[
        str | None, typer.Option(help="The team that owns it: its managers may rotate it.")
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option(
            "--label",
            "-l",
            help="name=value: a label every alert it receives gets, unless the sender sets "
            "it (e.g. service=checkout for a former PagerDuty service). Repeatable.",
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an integration and print its token (shown once; stored hashed)."""
    settings = settings_with(database_url)
    if mapping is not None and kind is not IntegrationKind.WEBHOOK:
        raise InputError("--mapping is only for --kind webhook")
    extra = _labels(label or [])
    runtime = open_runtime(settings)
    try:
        integration, token = runtime.integrations.create(
            name, kind, {**_settings_from(mapping), **extra}, team=team
        )
    finally:
        runtime.db.dispose()
    console.print(f"Created integration [bold]{integration.name}[/] ({integration.kind.value}).")
    console.print(f"Token (shown once): [bold green]{token}[/]", soft_wrap=True)
    console.print(_how_to_send(integration, token, settings.public_url), soft_wrap=True)


@app.command("list")
@tocsin_errors
def list_(database_url: DatabaseUrl = None) -> None:
    """List integrations (never their tokens)."""
    settings = settings_with(database_url)
    runtime = open_runtime(settings)
    try:
        found = runtime.integrations.list()
    finally:
        runtime.db.dispose()
    table = Table("Name", "Kind", "Endpoint", "Labels", "Created", "Token rotated")
    for i in found:
        labels = i.settings.get("labels") or {}
        table.add_row(
            i.name,
            i.kind.value,
            i.kind.endpoint,
            ", ".join(f"{k}={v}" for k, v in sorted(labels.items())),
            i.created_at.strftime("%Y-%m-%d %H:%M"),
            i.token_rotated_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command("rotate-token")
@tocsin_errors
def rotate_token(name: str, database_url: DatabaseUrl = None) -> None:
    """Give an integration a new token; the old one stops working."""
    settings = settings_with(database_url)
    runtime = open_runtime(settings)
    try:
        integration, token = runtime.integrations.rotate_token(name)
    finally:
        runtime.db.dispose()
    console.print(f"New token for [bold]{integration.name}[/] (shown once): [bold green]{token}[/]")
