"""``POST /v2/enqueue`` with PagerDuty's dedup semantics."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Stored
from tocsin.domain.integrations import IntegrationKind

PD = IntegrationKind.PAGERDUTY


def send(client: TestClient, key: str, action: str, dedup: str | None = None, **payload: str):  # type: ignore[no-untyped-def]
    body: dict = {"routing_key": key, "event_action": action}
    if dedup:
        body["dedup_key"] = dedup
    if action == "trigger":
        body["payload"] = {"summary": "Disk full", "source": "db-1", "severity": "error", **payload}
    return client.post("/v2/enqueue", json=body)


def test_trigger_ack_resolve_then_a_new_alert(
    client: TestClient, tokens: dict, stored: Stored
) -> None:
    key = tokens[PD]
    r = send(client, key, "trigger", "disk")
    assert r.status_code == 202
    assert r.json() == {"status": "success", "message": "Event processed", "dedup_key": "disk"}
    assert send(client, key, "trigger", "disk").status_code == 202  # appends to the open alert
    assert send(client, key, "acknowledge", "disk").status_code == 202
    [alert] = stored.alerts()
    assert alert["status"] == "acknowledged" and alert["receive_count"] == 3
    assert send(client, key, "resolve", "disk").status_code == 202
    assert stored.alerts()[0]["status"] == "resolved"
    # After resolve: acks for the old alert are dropped, a trigger opens a new one.
    assert send(client, key, "acknowledge", "disk").status_code == 202
    assert send(client, key, "trigger", "disk").status_code == 202
    old, new = stored.alerts()
    assert old["status"] == "resolved" and old["head_key"] is None
    assert new["status"] == "firing" and new["head_key"] == new["fingerprint"] == old["fingerprint"]
    outcomes = [e["outcome"] for e in stored.events()]
    assert outcomes == ["created", "unchanged", "acknowledged", "resolved", "ignored", "created"]


def test_generated_dedup_key_is_returned_and_usable(
    client: TestClient, tokens: dict, stored: Stored
) -> None:
    key = tokens[PD]
    dedup = send(client, key, "trigger").json()["dedup_key"]
    assert len(dedup) >= 16
    send(client, key, "resolve", dedup)
    assert stored.alerts()[0]["status"] == "resolved"


def test_dedup_is_scoped_to_the_routing_key(
    client: TestClient, tokens: dict, runtime, stored: Stored
) -> None:  # type: ignore[no-untyped-def]
    _, other = runtime.integrations.create("pd-2", PD)
    send(client, tokens[PD], "trigger", "same")
    send(client, other, "trigger", "same")
    assert len(stored.alerts()) == 2


def test_invalid_event_is_pagerdutys_400(client: TestClient, tokens: dict, stored: Stored) -> None:
    r = client.post("/v2/enqueue", json={"routing_key": tokens[PD], "event_action": "explode"})
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    assert any(e.startswith("event_action:") for e in body["errors"])
    r = client.post("/v2/enqueue", json={"event_action": "trigger"})
    assert r.status_code == 400 and any("routing_key" in e for e in r.json()["errors"])
    r = client.post("/v2/enqueue", content=b"{not json")
    assert r.status_code == 400 and r.json()["status"] == "invalid event"
    assert stored.events() == []


def test_unknown_routing_key_is_401(client: TestClient, tokens: dict, stored: Stored) -> None:
    for key in ("f" * 32, tokens[IntegrationKind.OPSGENIE]):
        assert send(client, key, "trigger", "x").status_code == 401
    assert stored.events() == []


def test_numbers_any_database_can_store(client: TestClient, tokens: dict, stored: Stored) -> None:
    def body(number: str) -> str:
        # Written by hand: these numbers do not survive a round trip through Python's json.
        return (
            f'{{"routing_key": "{tokens[PD]}", "event_action": "trigger", "payload": '
            f'{{"summary": "s", "source": "h", "severity": "info", '
            f'"custom_details": {{"n": {number}}}}}}}'
        )

    assert (
        client.post("/v2/enqueue", content=body("123456789012345678901234567890")).status_code
        == 202
    )
    assert stored.alerts()[0]["details"]["custom_details"] == {
        "n": "123456789012345678901234567890"
    }
    r = client.post("/v2/enqueue", content=body("1e400"))
    assert r.status_code == 400 and "payload.custom_details" in r.json()["errors"][0]
    assert len(stored.alerts()) == 1
