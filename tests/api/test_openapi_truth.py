"""The OpenAPI document tells the truth: each answer below (found wrong by Schemathesis,
tests/fuzz/test_openapi_schemathesis.py) has its status code and content type declared for
its operation, and Tocsin's errors their body (docs/security.md, "Fuzzing")."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tocsin.api.access import PUBLIC, RULES
from tocsin.api.openapi import ERROR_BODY
from tocsin.domain.integrations import IntegrationKind

CONFIG = """
route: {receiver: team}
receivers: [{name: team}]
users: [{id: sam, name: Sam, admin: true}]
teams: [{name: sre, members: [sam]}]
schedules:
  - name: primary
    time_zone: UTC
    layers:
      - {start: 2026-01-05T00:00:00, rotation: {type: weekly}, users: [sam]}
slos:
  - {service: checkout, name: requests, objective: 99.9, sli: {builtin: {}}}
"""


def declared(client: TestClient, method: str, path: str, answer: httpx.Response) -> Any:
    """The document's response object for ``answer``; fails unless its status and content
    type are declared (no content declared: no body)."""
    operation = client.get("/openapi.json").json()["paths"][path][method.lower()]
    response = operation["responses"].get(str(answer.status_code))
    assert response is not None, (
        f"{method} {path} answered {answer.status_code}, declared {sorted(operation['responses'])}"
    )
    content = response.get("content", {})
    media = answer.headers.get("content-type", "").split(";")[0]
    if content:
        assert media in content, f"{method} {path}: {media} is not in {sorted(content)}"
    else:
        assert answer.content == b"", answer.content
    return response


def house_error(client: TestClient, method: str, path: str, answer: httpx.Response) -> None:
    """``answer`` is one of Tocsin's errors, declared with its body."""
    response = declared(client, method, path, answer)
    assert response["content"]["application/json"]["schema"] == ERROR_BODY
    body = answer.json()
    assert isinstance(body["message"], str) and isinstance(body["errors"], list)


def test_no_fastapi_422_is_left_and_token_checks_are_declared(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(spec)
    assert "x-tocsin" not in json.dumps(spec)  # api/openapi.py's marker, taken out
    # 413 where the body is read under TOCSIN_MAX_BODY_BYTES, not where FastAPI reads it
    assert "413" in spec["paths"]["/api/v2/silences"]["post"]["responses"]
    assert "413" not in spec["paths"]["/api/incidents"]["post"]["responses"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if RULES.get((method.upper(), path), PUBLIC) != PUBLIC:
                assert {"401", "403", "429"} <= codes, (method, path)
            if operation.get("parameters") or operation.get("requestBody"):
                assert "400" in codes, (method, path)


def test_refusals_are_declared_with_their_body(client: TestClient, api_token: str) -> None:
    auth = {"Authorization": f"Bearer {api_token}"}
    house_error(client, "GET", "/api/incidents", client.get("/api/incidents"))  # 401
    bad = client.get("/api/incidents", params={"limit": "0"}, headers=auth)
    assert bad.status_code == 400
    house_error(client, "GET", "/api/incidents", bad)
    missing = client.get("/api/incidents/7", headers=auth)
    assert missing.status_code == 404
    house_error(client, "GET", "/api/incidents/{incident_id}", missing)


def test_alertmanager_post_answers_200_without_a_body(
    client: TestClient, tokens: dict[IntegrationKind, str]
) -> None:
    auth = {"Authorization": f"Bearer {tokens[IntegrationKind.ALERTMANAGER]}"}
    answer = client.post("/api/v2/alerts", json=[], headers=auth)
    assert answer.status_code == 200
    declared(client, "POST", "/api/v2/alerts", answer)


def test_deleting_from_the_status_page_answers_204(client: TestClient, api_token: str) -> None:
    auth = {"Authorization": f"Bearer {api_token}"}
    made = client.post("/api/status-page/groups", json={"name": "Core"}, headers=auth)
    assert made.status_code == 201, made.text
    gone = client.delete(f"/api/status-page/groups/{made.json()['id']}", headers=auth)
    assert gone.status_code == 204
    declared(client, "DELETE", "/api/status-page/groups/{group_id}", gone)


def test_metrics_are_declared_as_text(client: TestClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    declared(client, "GET", "/metrics", answer)


def test_ingest_refusals_are_declared_in_their_own_shapes(
    client: TestClient, tokens: dict[IntegrationKind, str]
) -> None:
    event = {"routing_key": tokens[IntegrationKind.PAGERDUTY], "event_action": "resolve"}
    refused = client.post("/v2/enqueue", json=event)
    assert refused.status_code == 400
    schema = declared(client, "POST", "/v2/enqueue", refused)["content"]["application/json"]
    assert schema["schema"]["properties"]["errors"]["items"] == {"type": "string"}
    assert all(isinstance(e, str) for e in refused.json()["errors"])

    genie = {"Authorization": f"GenieKey {tokens[IntegrationKind.OPSGENIE]}"}
    unknown = client.post("/v2/alerts/nope/close", headers=genie)
    assert unknown.status_code == 404
    declared(client, "POST", "/v2/alerts/{identifier}/close", unknown)
    assert {"message", "took", "requestId"} <= set(unknown.json())

    unsigned = client.post("/integrations/slack/events", content=b"{}")
    assert unsigned.status_code == 404  # Slack is not configured
    declared(client, "POST", "/integrations/slack/events", unsigned)


def test_answers_that_need_a_configuration_are_declared(routed: Any) -> None:
    harness = routed(CONFIG)
    client, auth = harness.client, harness.api
    events = client.post("/api/slos/checkout-requests/events", json={"good": 9, "total": 10})
    assert events.status_code == 401
    events = client.post(
        "/api/slos/checkout-requests/events", json={"good": 9, "total": 10}, headers=auth
    )
    assert events.status_code == 201, events.text
    declared(client, "POST", "/api/slos/{slo_id}/events", events)

    gate = client.get("/api/slo-gate", params={"service": "nope"}, headers=auth)
    assert gate.status_code == 404
    house_error(client, "GET", "/api/slo-gate", gate)

    hours = client.get("/api/oncall/hours", params={"schedule": "nope"}, headers=auth)
    assert hours.status_code == 404
    house_error(client, "GET", "/api/oncall/hours", hours)

    silence = {
        "id": "no-such-silence",
        "matchers": [{"name": "job", "value": "api", "isRegex": False}],
        "startsAt": "2026-03-01T12:00:00Z",
        "endsAt": "2026-03-01T14:00:00Z",
        "createdBy": "sam",
        "comment": "maintenance",
    }
    unknown = client.post("/api/v2/silences", json=silence, headers=auth)
    assert unknown.status_code == 404, unknown.text
    house_error(client, "POST", "/api/v2/silences", unknown)

    book = {"slug": "db-down", "title": "The database is down", "user": "sam"}
    assert client.post("/api/runbooks", json=book, headers=auth).status_code == 201
    again = client.post("/api/runbooks", json=book, headers=auth)
    assert again.status_code == 409
    house_error(client, "POST", "/api/runbooks", again)

    made = client.post("/api/incidents", json={"title": "Checkout is down"}, headers=auth)
    assert made.status_code == 201, made.text
    climb = client.post(f"/api/incidents/{made.json()['id']}/escalate", headers=auth)
    assert climb.status_code == 409  # no escalation policy
    house_error(client, "POST", "/api/incidents/{incident_id}/escalate", climb)


def test_made_objects_answer_201_as_declared(routed: Any) -> None:
    harness = routed(CONFIG)
    client, auth = harness.client, harness.api
    made = client.post("/api/incidents", json={"title": "Checkout is down"}, headers=auth)
    assert made.status_code == 201, made.text
    update = client.post(
        f"/api/incidents/{made.json()['id']}/updates", json={"message": "Fixing"}, headers=auth
    )
    assert update.status_code == 201, update.text
    declared(client, "POST", "/api/incidents/{incident_id}/updates", update)

    shift = {"user": "sam", "start": "2026-03-02T00:00:00Z", "end": "2026-03-02T02:00:00Z"}
    override = client.post("/api/schedules/primary/overrides", json=shift, headers=auth)
    assert override.status_code == 201, override.text
    declared(client, "POST", "/api/schedules/{name}/overrides", override)
    swap = client.post("/api/schedules/primary/swaps", json=shift, headers=auth)
    assert swap.status_code == 201, swap.text
    declared(client, "POST", "/api/schedules/{name}/swaps", swap)
