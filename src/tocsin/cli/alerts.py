"""``tocsin alert send`` (like ``amtool alert add``) and ``tocsin alerts``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import httpx
import typer
from rich.table import Table

from tocsin.cli.context import console, fail, open_runtime, settings_with, tocsin_errors
from tocsin.domain.alerts import AlertStatus
from tocsin.domain.labels import label_name_problem
from tocsin.domain.matchers import parse_matchers
from tocsin.engine.clock import SystemClock
from tocsin.errors import InputError
from tocsin.services.alerts import AlertQuery

__all__ = ["list_alerts", "send"]

_STATUS_STYLE = {
    AlertStatus.FIRING: "bold red",
    AlertStatus.ACKNOWLEDGED: "yellow",
    AlertStatus.RESOLVED: "green",
}


def _pairs(items: list[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"{what} {item!r}: expected name=value")
        problem = label_name_problem(name)
        if problem:
            raise InputError(f"{what} {item!r}: {problem}")
        out[name] = value.strip('"')
    return out


@tocsin_errors
def send(
    labels: Annotated[list[str], typer.Argument(help="Labels as name=value; alertname first.")],
    annotation: Annotated[
        list[str] | None, typer.Option("--annotation", "-a", help="name=value, repeatable.")
    ] = None,
    resolve: Annotated[bool, typer.Option("--resolve", help="Send it as resolved.")] = False,
    generator_url: Annotated[str, typer.Option("--generator-url")] = "",
    url: Annotated[str, typer.Option("--url", envvar="TOCSIN_URL")] = "http://127.0.0.1:8080",
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="TOCSIN_TOKEN", help="An alertmanager-kind integration token."
        ),
    ] = None,
) -> None:
    """Send one alert to a Tocsin server through the Alertmanager API v2."""
    if not token:
        raise fail("a token is required: --token or TOCSIN_TOKEN (tocsin integration create)")
    if labels and "=" not in labels[0]:
        label_set = {"alertname": labels[0], **_pairs(labels[1:], "label")}
    else:
        label_set = _pairs(labels, "label")
    alert: dict[str, object] = {
        "labels": label_set,
        "annotations": _pairs(annotation or [], "annotation"),
        "generatorURL": generator_url,
    }
    if resolve:
        alert["endsAt"] = datetime.now(UTC).isoformat()
    try:
        response = httpx.post(
            f"{url.rstrip('/')}/api/v2/alerts",
            json=[alert],
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
    except httpx.HTTPError as exc:
        raise fail(f"cannot reach {url}: {exc}") from None
    if response.status_code >= 300:
        try:
            message = response.json().get("message", response.text)
        except ValueError:
            message = response.text
        raise fail(f"{response.status_code} from {url}: {message}")
    console.print(f"{'resolved' if resolve else 'sent'}: {label_set}")


@tocsin_errors
def list_alerts(
    matchers: Annotated[
        list[str] | None, typer.Argument(help='Label matchers: name=value, name=~"re", ...')
    ] = None,
    firing: Annotated[
        bool, typer.Option("--firing", help="Only open alerts (firing or acknowledged).")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 200,
    database_url: Annotated[
        str | None, typer.Option("--database-url", envvar="TOCSIN_DATABASE_URL")
    ] = None,
) -> None:
    """List alerts (each fingerprint's latest), newest first."""
    try:
        parsed = [m for text in matchers or [] for m in parse_matchers(text)]
    except ValueError as exc:
        raise InputError(f"matcher: {exc}") from None
    runtime = open_runtime(settings_with(database_url))
    try:
        found = runtime.alerts.list(AlertQuery(matchers=parsed, open_only=firing, limit=limit))
    finally:
        runtime.db.dispose()
    now = SystemClock().now()
    table = Table("Status", "Alert", "Labels", "Started", "Seen", "Fingerprint")
    for alert, status in found:
        others = ", ".join(f"{k}={v}" for k, v in alert.labels.items() if k != "alertname")
        table.add_row(
            f"[{_STATUS_STYLE[status]}]{status.value}[/]",
            alert.labels.get("alertname", ""),
            others,
            _ago(now, alert.starts_at),
            str(alert.receive_count),
            alert.fingerprint,
        )
    console.print(table)
    console.print(f"{len(found)} alert(s)")


def _ago(now: datetime, then: datetime) -> str:
    seconds = int((now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"
