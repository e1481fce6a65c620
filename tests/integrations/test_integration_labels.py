"""An integration's own labels: every alert it receives gets those it lacks (the sender's
win), so a former PagerDuty service's alerts carry service="..." for the routes an import
wrote; where labels identify an alert, they are part of its fingerprint."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.domain.integrations import IntegrationKind
from tocsin.domain.labels import fingerprint
from tocsin.services.runtime import Runtime
from tocsin.store import alerts as alert_store
from tocsin.store import integrations as integration_store
from tocsin.store.database import Database


def _alerts(runtime: Runtime) -> list[Any]:
    with runtime.db.read() as conn:
        return list(alert_store.list_heads(conn))


def test_alerts_get_the_labels_they_lack(runtime: Runtime, client: TestClient) -> None:
    _, pd = runtime.integrations.create(
        "checkout-pd", IntegrationKind.PAGERDUTY, {"labels": {"service": "checkout"}}
    )
    _, am = runtime.integrations.create(
        "prom", IntegrationKind.ALERTMANAGER, {"labels": {"env": "prod", "team": "sre"}}
    )
    sent = client.post(
        "/v2/enqueue",
        json={
            "routing_key": pd,
            "event_action": "trigger",
            "dedup_key": "disk-1",
            "payload": {"summary": "Disk full", "source": "db-1", "severity": "critical"},
        },
    )
    assert sent.status_code == 202, sent.text
    posted = client.post(
        "/api/v2/alerts",
        json=[{"labels": {"alertname": "HighLatency", "team": "payments"}}],
        headers={"Authorization": f"Bearer {am}"},
    )
    assert posted.status_code == 200, posted.text
    found = {a.labels.get("alertname"): a for a in _alerts(runtime)}
    pagerduty = next(a for a in found.values() if a.labels.get("source") == "db-1")
    assert pagerduty.labels["service"] == "checkout"
    latency = found["HighLatency"]
    assert latency.labels["env"] == "prod" and latency.labels["team"] == "payments"
    assert latency.fingerprint == fingerprint(dict(latency.labels))
    # The same alert again is the same alert (one fingerprint, with the labels).
    again = client.post(
        "/api/v2/alerts",
        json=[{"labels": {"alertname": "HighLatency", "team": "payments"}}],
        headers={"Authorization": f"Bearer {am}"},
    )
    assert again.status_code == 200
    assert len([a for a in _alerts(runtime) if a.labels.get("alertname") == "HighLatency"]) == 1


def test_the_command_line_takes_and_checks_them(db_url: str) -> None:
    made = CliRunner().invoke(
        app,
        [
            "integration",
            "create",
            "pd-checkout",
            "--kind",
            "pagerduty",
            "--label",
            "service=checkout",
            "-l",
            "tier=1",
            "--database-url",
            db_url,
        ],
    )
    assert made.exit_code == 0, made.output
    db = Database(db_url)
    try:
        with db.read() as conn:
            made_one = integration_store.by_name(conn, "pd-checkout")
    finally:
        db.dispose()
    assert made_one is not None
    assert made_one.settings["labels"] == {"service": "checkout", "tier": "1"}
    for bad, why in (("service", "expected name=value"), ("1x=y", "1x"), ("empty=", "text")):
        refused = CliRunner().invoke(
            app,
            [
                "integration",
                "create",
                "other",
                "--kind",
                "webhook",
                "--label",
                bad,
                "--database-url",
                db_url,
            ],
        )
        assert refused.exit_code == 1, refused.output
        assert "label" in refused.output and why in refused.output
