"""The Opsgenie Alert API: create (alias dedup), acknowledge, close."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Stored
from tocsin.domain.integrations import IntegrationKind

OG = IntegrationKind.OPSGENIE


def genie(token: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {token}"}


def test_create_dedups_on_alias_then_ack_and_close(
    client: TestClient, tokens: dict, stored: Stored
) -> None:
    h = genie(tokens[OG])
    r = client.post("/v2/alerts", json={"message": "Cert expiring", "alias": "cert"}, headers=h)
    assert r.status_code == 202
    body = r.json()
    assert body["result"] == "Request will be processed"
    assert isinstance(body["took"], float) and len(body["requestId"]) == 36
    client.post("/v2/alerts", json={"message": "Cert expiring", "alias": "cert"}, headers=h)
    [alert] = stored.alerts()
    assert alert["receive_count"] == 2
    r = client.post(
        "/v2/alerts/cert/acknowledge?identifierType=alias", json={"note": "mine"}, headers=h
    )
    assert r.status_code == 202
    assert stored.alerts()[0]["status"] == "acknowledged"
    assert client.post("/v2/alerts/cert/close?identifierType=alias", headers=h).status_code == 202
    assert stored.alerts()[0]["status"] == "resolved"
    assert stored.events()[2]["payload"]["note"] == "mine"


def test_close_by_id(client: TestClient, tokens: dict, stored: Stored) -> None:
    h = genie(tokens[OG])
    client.post("/v2/alerts", json={"message": "No alias"}, headers=h)
    uid = stored.alerts()[0]["uid"]
    assert client.post(f"/v2/alerts/{uid}/close", headers=h).status_code == 202
    assert stored.alerts()[0]["status"] == "resolved"
    r = client.post("/v2/alerts/does-not-exist/close", headers=h)
    assert r.status_code == 404 and "does-not-exist" in r.json()["message"]


def test_another_integrations_alert_is_not_found(
    client: TestClient, tokens: dict, runtime, stored: Stored
) -> None:  # type: ignore[no-untyped-def]
    client.post("/v2/alerts", json={"message": "Mine"}, headers=genie(tokens[OG]))
    uid = stored.alerts()[0]["uid"]
    _, other = runtime.integrations.create("og-2", OG)
    assert client.post(f"/v2/alerts/{uid}/close", headers=genie(other)).status_code == 404
    assert stored.alerts()[0]["status"] == "firing"


def test_errors_are_opsgenie_shaped(client: TestClient, tokens: dict, stored: Stored) -> None:
    r = client.post("/v2/alerts", json={"message": "x"}, headers=genie("nope"))
    assert r.status_code == 401 and r.json()["message"] == "Could not authenticate"
    r = client.post("/v2/alerts", json={"priority": "P0"}, headers=genie(tokens[OG]))
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"message", "priority"}
    assert stored.events() == []
