"""Alertmanager API v2 silences, and their effect on GET /api/v2/alerts."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.store.tables import silences

AM = IntegrationKind.ALERTMANAGER


def silence_body(**overrides: object) -> dict:
    body = {
        "matchers": [
            {"name": "job", "value": "api", "isRegex": False, "isEqual": True},
            {"name": "instance", "value": "web-.*", "isRegex": True},
        ],
        "startsAt": "2026-03-01T12:00:00Z",
        "endsAt": "2026-03-01T14:00:00Z",
        "createdBy": "ann",
        "comment": "deploy",
    }
    return body | overrides


def test_silence_lifecycle_and_alert_state(
    client: TestClient, tokens: dict, clock: FakeClock, runtime: Runtime
) -> None:
    h = {"Authorization": f"Bearer {tokens[AM]}"}
    client.post(
        "/api/v2/alerts",
        json=[
            {
                "labels": {"alertname": "A", "job": "api", "instance": "web-1"},
                "endsAt": "2026-03-02T00:00:00Z",
            },
            {
                "labels": {"alertname": "B", "job": "api", "instance": "db-1"},
                "endsAt": "2026-03-02T00:00:00Z",
            },
        ],
        headers=h,
    )
    r = client.post("/api/v2/silences", json=silence_body(), headers=h)
    assert r.status_code == 200
    sid = r.json()["silenceID"]
    got = client.get(f"/api/v2/silence/{sid}", headers=h).json()
    assert got["status"] == {"state": "active"} and got["createdBy"] == "ann"
    assert got["matchers"][1] == {
        "name": "instance",
        "value": "web-.*",
        "isRegex": True,
        "isEqual": True,
    }

    alerts = {a["labels"]["alertname"]: a for a in client.get("/api/v2/alerts", headers=h).json()}
    assert alerts["A"]["status"] == {
        "state": "suppressed",
        "silencedBy": [sid],
        "inhibitedBy": [],
        "mutedBy": [],
    }
    assert alerts["B"]["status"]["state"] == "active"
    only_active = client.get("/api/v2/alerts", params={"silenced": "false"}, headers=h).json()
    assert [a["labels"]["alertname"] for a in only_active] == ["B"]
    only_silenced = client.get("/api/v2/alerts", params={"active": "false"}, headers=h).json()
    assert [a["labels"]["alertname"] for a in only_silenced] == ["A"]

    clock.advance(timedelta(minutes=10))
    assert client.delete(f"/api/v2/silence/{sid}", headers=h).status_code == 200
    assert client.get(f"/api/v2/silence/{sid}", headers=h).json()["status"]["state"] == "expired"
    assert client.delete(f"/api/v2/silence/{sid}", headers=h).status_code == 409
    states = {
        a["labels"]["alertname"]: a["status"]["state"]
        for a in client.get("/api/v2/alerts", headers=h).json()
    }
    assert states == {"A": "active", "B": "active"}
    with runtime.db.read() as conn:  # expired, not deleted
        assert len(conn.execute(select(silences)).all()) == 1


def test_updating_a_silence(client: TestClient, tokens: dict, clock: FakeClock) -> None:
    h = {"Authorization": f"Bearer {tokens[AM]}"}
    sid = client.post("/api/v2/silences", json=silence_body(), headers=h).json()["silenceID"]
    # Only the end and comment change: updated in place.
    same = client.post(
        "/api/v2/silences",
        json=silence_body(id=sid, endsAt="2026-03-01T15:00:00Z", comment="longer"),
        headers=h,
    ).json()["silenceID"]
    assert same == sid
    assert (
        client.get(f"/api/v2/silence/{sid}", headers=h).json()["endsAt"]
        == "2026-03-01T15:00:00.000Z"
    )
    # The matchers change: the old one expires, a new one takes over.
    other = silence_body(id=sid, matchers=[{"name": "job", "value": "db", "isRegex": False}])
    new = client.post("/api/v2/silences", json=other, headers=h).json()["silenceID"]
    assert new != sid
    listed = {
        s["id"]: s["status"]["state"] for s in client.get("/api/v2/silences", headers=h).json()
    }
    assert listed == {sid: "expired", new: "active"}
    filtered = client.get("/api/v2/silences", params={"filter": 'job="db"'}, headers=h).json()
    assert [s["id"] for s in filtered] == [new]


def test_invalid_silences_are_400_naming_the_field(
    client: TestClient, tokens: dict, runtime: Runtime
) -> None:
    h = {"Authorization": f"Bearer {tokens[AM]}"}
    cases = [
        (silence_body(matchers=[]), "matchers"),
        (silence_body(matchers=[{"name": "job", "value": ".*", "isRegex": True}]), "matchers"),
        (silence_body(endsAt="2026-03-01T11:00:00Z"), "endsAt"),
        (silence_body(createdBy=""), "createdBy"),
        (
            silence_body(matchers=[{"name": "bad-name", "value": "x", "isRegex": False}]),
            "matchers[0].name",
        ),
        (
            silence_body(matchers=[{"name": "a", "value": "(", "isRegex": True}]),
            "matchers[0].value",
        ),
    ]
    for body, field in cases:
        r = client.post("/api/v2/silences", json=body, headers=h)
        assert r.status_code == 400, body
        assert field in [e["field"] for e in r.json()["errors"]], r.json()
    assert client.post("/api/v2/silences", json=silence_body()).status_code == 401
    assert client.get("/api/v2/silence/nope", headers=h).status_code == 404
    assert (
        client.post("/api/v2/silences", json=silence_body(id="nope"), headers=h).status_code == 404
    )
    assert runtime.silences.all() == []


def test_a_pending_silence_expires_without_ever_starting(client: TestClient, tokens: dict) -> None:
    h = {"Authorization": f"Bearer {tokens[AM]}"}
    later = silence_body(startsAt="2026-03-01T13:00:00Z")
    sid = client.post("/api/v2/silences", json=later, headers=h).json()["silenceID"]
    assert client.get(f"/api/v2/silence/{sid}", headers=h).json()["status"]["state"] == "pending"
    client.delete(f"/api/v2/silence/{sid}", headers=h)
    got = client.get(f"/api/v2/silence/{sid}", headers=h).json()
    assert got["status"]["state"] == "expired" and got["startsAt"] == got["endsAt"]
