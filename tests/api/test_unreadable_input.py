"""Input Schemathesis found answered as a server error or in FastAPI's own shape
(tests/fuzz/test_openapi_schemathesis.py): now a 400 naming the field, on both databases."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def auth(api_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}"}


def test_a_body_that_is_not_utf8_names_the_body(client: TestClient, auth: dict[str, str]) -> None:
    answer = client.post(
        "/api/incidents",
        content=b'{"title": "\xff\xfe"}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"field": "body", "problem": "is not JSON text in UTF-8"}]


def test_no_such_route_answers_in_tocsins_shape(client: TestClient, auth: dict[str, str]) -> None:
    answer = client.get("/api/no-such-thing", headers=auth)
    assert answer.status_code == 404
    assert answer.json() == {"message": "Not Found", "errors": []}
    wrong_method = client.put("/api/incidents", headers=auth)
    assert wrong_method.status_code == 405
    assert wrong_method.json()["errors"] == []
    assert "GET" in wrong_method.headers["allow"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        # PostgreSQL's text cannot hold NUL: these filters were 500s there.
        ("/api/incidents?q=a%00b", "query.q"),
        ("/api/incidents?service=%00", "query.service"),
        ("/api/audit?actor=%00", "query.actor"),
        ("/api/action-items?owner=%00", "query.owner"),
        ("/api/slo-gate/exceptions?service=%00", "query.service"),
        ("/api/heartbeats/a%00b", "path.name"),
    ],
)
def test_nul_in_a_parameter_is_refused_naming_it(
    client: TestClient, auth: dict[str, str], url: str, field: str
) -> None:
    answer = client.get(url, headers=auth)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"] == [
        {"field": field, "problem": "must not contain NUL characters"}
    ]


def test_nul_in_a_web_page_filter_is_a_400_page(client: TestClient) -> None:
    answer = client.get("/incidents?q=%00", follow_redirects=False)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert "query.q" in answer.text and "must not contain NUL characters" in answer.text


BIG = 2**63  # one past the largest 64-bit integer the databases hold


@pytest.mark.parametrize(
    ("method", "url", "field"),
    [
        ("GET", f"/api/v1/notifications/{BIG}", "path.notification_id"),
        ("DELETE", f"/api/overrides/{BIG}", "path.override_id"),
    ],
)
def test_an_id_too_large_for_the_database_is_refused(
    client: TestClient, auth: dict[str, str], method: str, url: str, field: str
) -> None:
    answer = client.request(method, url, headers=auth)
    assert answer.status_code == 400, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_component_ids_too_large_are_refused(client: TestClient, auth: dict[str, str]) -> None:
    maintenance = {
        "name": "Upgrade",
        "body": "The database",
        "scheduled_for": "2026-03-02T00:00:00Z",
        "scheduled_until": "2026-03-02T01:00:00Z",
        "component_ids": [BIG],
    }
    answer = client.post("/api/status-page/maintenances", json=maintenance, headers=auth)
    assert answer.status_code == 400, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["body.component_ids[0]"]
    incident = {"name": "Slow", "body": "Looking", "components": {str(BIG): "major_outage"}}
    answer = client.post("/api/status-page/incidents", json=incident, headers=auth)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["field"].startswith("body.components")


def test_nul_in_a_json_body_is_refused_naming_the_field(
    client: TestClient, auth: dict[str, str]
) -> None:
    answer = client.post(
        "/api/incidents", json={"title": "ok", "summary": ["x", "a\x00b"]}, headers=auth
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"] == [
        {"field": "body.summary[1]", "problem": "must not contain NUL characters"}
    ]
    # Found by Schemathesis: a note with a NUL was a 500 on PostgreSQL.
    answer = client.post("/api/incidents/1/notes", json={"text": "\x00"}, headers=auth)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0]["field"] == "body.text"


def test_numbers_too_large_to_keep_are_refused(client: TestClient, auth: dict[str, str]) -> None:
    # A version past 64 bits was a 500: the conflict's answer could not be written.
    answer = client.patch("/api/incidents/1/postmortem", json={"version": 2**64}, headers=auth)
    assert answer.status_code == 400, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["body.version"]
    # Event counts near the largest float overflowed PostgreSQL's sum of a minute's counts.
    for total in (b"9.489538063736358e+307", b"Infinity"):
        answer = client.post(
            "/api/slos/checkout-requests/events",
            content=b'{"good": 0, "total": ' + total + b"}",
            headers={**auth, "Content-Type": "application/json"},
        )
        assert answer.status_code == 400, answer.text
        assert [e["field"] for e in answer.json()["errors"]] == ["body.total"]
