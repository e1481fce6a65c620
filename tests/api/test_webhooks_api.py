"""Alertmanager webhook receiver and the generic JSON webhook."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Stored
from tocsin.domain.integrations import IntegrationKind

AMW = IntegrationKind.ALERTMANAGER_WEBHOOK
WH = IntegrationKind.WEBHOOK


def notification(*alerts: tuple[str, str]) -> dict:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="Disk"}',
        "truncatedAlerts": 0,
        "status": "firing" if any(s == "firing" for s, _ in alerts) else "resolved",
        "receiver": "tocsin",
        "groupLabels": {"alertname": "Disk"},
        "commonLabels": {"alertname": "Disk"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "Disk", "instance": instance},
                "annotations": {"summary": f"disk on {instance}"},
                "startsAt": "2026-03-01T11:00:00Z",
                "endsAt": "2026-03-01T11:30:00Z"
                if status == "resolved"
                else "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus/graph",
                "fingerprint": "0000000000000000",
            }
            for status, instance in alerts
        ],
    }


def test_alertmanager_group_resolves_alert_by_alert(
    client: TestClient, tokens: dict, stored: Stored
) -> None:
    h = {"Authorization": f"Bearer {tokens[AMW]}"}
    r = client.post(
        "/integrations/alertmanager", json=notification(("firing", "a"), ("firing", "b")), headers=h
    )
    assert r.status_code == 200
    client.post(
        "/integrations/alertmanager",
        json=notification(("firing", "a"), ("resolved", "b")),
        headers=h,
    )
    status = {r["labels"]["instance"]: r["status"] for r in stored.alerts()}
    assert status == {"a": "firing", "b": "resolved"}


def test_ha_pair_duplicates_are_idempotent(
    client: TestClient, tokens: dict, stored: Stored
) -> None:
    h = {"Authorization": f"Bearer {tokens[AMW]}"}
    firing = notification(("firing", "a"))
    resolved = notification(("resolved", "a"))
    for body in (firing, firing, resolved, resolved, firing):  # the second AM lags behind
        assert client.post("/integrations/alertmanager", json=body, headers=h).status_code == 200
    [alert] = stored.alerts()
    assert alert["status"] == "resolved"
    outcomes = [e["outcome"] for e in stored.events()]
    assert outcomes == ["created", "unchanged", "resolved", "ignored", "ignored"]


def test_alertmanager_webhook_rejects_bad_payload_with_4xx(
    client: TestClient, tokens: dict, stored: Stored
) -> None:
    h = {"Authorization": f"Bearer {tokens[AMW]}"}
    body = notification(("firing", "a"))
    body["alerts"][0]["labels"] = {"bad label": "x"}
    r = client.post("/integrations/alertmanager", json=body, headers=h)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "alerts[0].labels.bad label"
    assert client.post("/integrations/alertmanager", json=body).status_code == 401
    assert stored.events() == []


def test_generic_webhook_default_shape(client: TestClient, tokens: dict, stored: Stored) -> None:
    url = f"/integrations/webhook/{tokens[WH]}"
    r = client.post(
        url, json={"title": "Login failing", "dedup_key": "login", "severity": "critical"}
    )
    assert r.status_code == 202
    body = r.json()
    assert body["outcome"] == "created" and body["dedup_key"] == "login" and body["alert"]
    client.post(url, json={"title": "Login failing", "dedup_key": "login", "status": "resolved"})
    [alert] = stored.alerts()
    assert alert["status"] == "resolved" and alert["labels"]["severity"] == "critical"
    r = client.post(url, json={"status": "firing"})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "title"
    assert client.post("/integrations/webhook/wrong", json={"title": "x"}).status_code == 401


def test_generic_webhook_with_mapping(client: TestClient, runtime, stored: Stored) -> None:  # type: ignore[no-untyped-def]
    mapping = {
        "title": "check.name",
        "status": "check.state",
        "status_values": {"down": "firing", "up": "resolved"},
        "dedup_key": "check.id",
        "labels": {"region": "probe.region"},
    }
    _, token = runtime.integrations.create("uptime", WH, {"mapping": mapping})
    url = f"/integrations/webhook/{token}"
    sent = {"check": {"name": "Homepage", "state": "down", "id": 7}, "probe": {"region": "eu"}}
    assert client.post(url, json=sent).status_code == 202
    [alert] = stored.alerts()
    assert (
        alert["labels"] == {"alertname": "Homepage", "region": "eu"} and alert["dedup_key"] == "7"
    )
    sent["check"]["state"] = "up"
    client.post(url, json=sent)
    assert stored.alerts()[0]["status"] == "resolved"
    r = client.post(url, json={"probe": {}})
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "check.name"
