"""``/api/v2/alerts`` and ``/api/v2/status`` as Prometheus and amtool use them."""

from __future__ import annotations

import base64
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import Stored
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock

AM = IntegrationKind.ALERTMANAGER


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def prom_alert(name: str = "HighLatency", **labels: str) -> dict:
    return {
        "labels": {"alertname": name, "job": "api", **labels},
        "annotations": {"summary": f"{name} on api"},
        "startsAt": "2026-03-01T11:58:00Z",
        "endsAt": "2026-03-01T12:04:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
    }


def test_post_then_list(client: TestClient, tokens: dict, stored: Stored) -> None:
    token = tokens[AM]
    r = client.post(
        "/api/v2/alerts", json=[prom_alert(), prom_alert("Down")], headers=bearer(token)
    )
    assert r.status_code == 200
    got = client.get("/api/v2/alerts", headers=bearer(token)).json()
    assert sorted(a["labels"]["alertname"] for a in got) == ["Down", "HighLatency"]
    one = next(a for a in got if a["labels"]["alertname"] == "Down")
    assert one["startsAt"] == "2026-03-01T11:58:00.000Z"
    assert one["endsAt"] == "2026-03-01T12:04:00.000Z"
    assert one["generatorURL"].startswith("http://prometheus")
    assert one["status"] == {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []}
    assert len(one["fingerprint"]) == 16 and one["receivers"] == []
    assert [e["outcome"] for e in stored.events()] == ["created", "created"]


def test_filter_matchers(client: TestClient, tokens: dict) -> None:
    token = tokens[AM]
    alerts = [
        prom_alert("A", env="prod"),
        prom_alert("B", env="stage"),
        prom_alert("C", env="prod"),
    ]
    client.post("/api/v2/alerts", json=alerts, headers=bearer(token))
    r = client.get(
        "/api/v2/alerts",
        params=[("filter", 'env="prod"'), ("filter", 'alertname=~"A|B"')],
        headers=bearer(token),
    )
    assert [a["labels"]["alertname"] for a in r.json()] == ["A"]
    r = client.get("/api/v2/alerts", params={"filter": "env=~("}, headers=bearer(token))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "filter[0]"
    assert (
        client.get("/api/v2/alerts", params={"active": "false"}, headers=bearer(token)).json() == []
    )
    assert (
        client.get("/api/v2/alerts", params={"receiver": "x"}, headers=bearer(token)).json() == []
    )


def test_resend_is_one_alert_and_endsat_in_the_past_resolves(
    client: TestClient, tokens: dict, stored: Stored, clock: FakeClock
) -> None:
    token = tokens[AM]
    for _ in range(3):
        client.post("/api/v2/alerts", json=[prom_alert()], headers=bearer(token))
    [row] = stored.alerts()
    assert row["receive_count"] == 3 and row["status"] == "firing"
    resolved = prom_alert() | {"endsAt": "2026-03-01T11:59:30Z"}
    client.post("/api/v2/alerts", json=[resolved], headers=bearer(token))
    [row] = stored.alerts()
    assert row["status"] == "resolved" and row["resolution"] == "source"
    assert client.get("/api/v2/alerts", headers=bearer(token)).json() == []
    assert [e["outcome"] for e in stored.events()] == [
        "created",
        "unchanged",
        "unchanged",
        "resolved",
    ]


def test_alert_without_endsat_resolves_after_resolve_timeout(
    client: TestClient, tokens: dict, clock: FakeClock
) -> None:
    token = tokens[AM]
    client.post("/api/v2/alerts", json=[{"labels": {"alertname": "NoEnd"}}], headers=bearer(token))
    [a] = client.get("/api/v2/alerts", headers=bearer(token)).json()
    assert a["endsAt"] == "2026-03-01T12:05:00.000Z"
    clock.advance(timedelta(minutes=5))
    assert client.get("/api/v2/alerts", headers=bearer(token)).json() == []


def test_basic_auth_with_token_as_password(client: TestClient, tokens: dict) -> None:
    creds = base64.b64encode(f"prometheus:{tokens[AM]}".encode()).decode()
    r = client.post(
        "/api/v2/alerts", json=[prom_alert()], headers={"Authorization": f"Basic {creds}"}
    )
    assert r.status_code == 200


def test_unauthorized_requests_store_nothing_and_reveal_nothing(
    client: TestClient, tokens: dict, stored: Stored
) -> None:
    wrong_kind = tokens[IntegrationKind.PAGERDUTY]
    bodies = []
    for headers in (
        {},
        bearer("0" * 32),
        bearer(wrong_kind),
        {"Authorization": "Basic !!!"},
        {"Authorization": f"Token {tokens[AM]}"},
    ):
        r = client.post("/api/v2/alerts", json=[prom_alert()], headers=headers)
        assert r.status_code == 401
        bodies.append(r.json())
    assert all(b == bodies[0] for b in bodies)  # same answer whatever the reason
    assert stored.alerts() == [] and stored.events() == []
    assert client.get("/api/v2/alerts").status_code == 401


def test_bad_alert_is_400_naming_the_field_and_stores_nothing(
    client: TestClient, tokens: dict, stored: Stored
) -> None:
    r = client.post(
        "/api/v2/alerts",
        json=[prom_alert(), {"labels": {"bad-name": "x"}}],
        headers=bearer(tokens[AM]),
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "[1].labels.bad-name"
    assert "invalid label name" in r.json()["errors"][0]["problem"]
    assert stored.alerts() == []


def test_oversized_body_is_413(client: TestClient, tokens: dict, stored: Stored) -> None:
    big = [prom_alert(instance=f"i{i}", pad="x" * 1000) for i in range(600)]
    r = client.post("/api/v2/alerts", json=big, headers=bearer(tokens[AM]))
    assert r.status_code == 413
    assert r.json()["errors"][0]["field"] == "body"
    assert stored.alerts() == []


def test_status_is_shaped_like_alertmanagers(client: TestClient, tokens: dict) -> None:
    body = client.get("/api/v2/status", headers=bearer(tokens[AM])).json()
    assert body["cluster"]["status"] == "disabled"
    assert set(body["versionInfo"]) >= {"version", "revision", "branch", "goVersion"}
    assert body["uptime"] == "2026-03-01T12:00:00.000Z"
    assert "original" in body["config"]


def test_nul_in_label_values_is_stored_but_not_in_text_fields(
    client: TestClient, tokens: dict, stored: Stored
) -> None:
    # Alertmanager accepts any UTF-8 label value, NUL included; PostgreSQL's jsonb would not.
    h = bearer(tokens[AM])
    r = client.post(
        "/api/v2/alerts", json=[{"labels": {"alertname": "N", "v": "a\x00b"}}], headers=h
    )
    assert r.status_code == 200
    assert stored.alerts()[0]["labels"]["v"] == "a\x00b"
    r = client.post(
        "/api/v2/alerts", json=[{"labels": {"alertname": "M"}, "generatorURL": "x\x00"}], headers=h
    )
    assert r.status_code == 400
    assert r.json()["errors"][0] == {
        "field": "[0].generatorURL",
        "problem": "must not contain NUL characters",
    }
    assert len(stored.alerts()) == 1


def test_resend_moves_ends_at_and_counts(client: TestClient, tokens: dict, stored: Stored) -> None:
    h = bearer(tokens[AM])
    client.post("/api/v2/alerts", json=[prom_alert()], headers=h)
    later = prom_alert() | {"endsAt": "2026-03-01T12:09:00Z"}
    client.post("/api/v2/alerts", json=[later], headers=h)
    [row] = stored.alerts()
    assert row["receive_count"] == 2 and row["status"] == "firing"
    assert row["ends_at"].isoformat() == "2026-03-01T12:09:00+00:00"
    assert [e["outcome"] for e in stored.events()] == ["created", "unchanged"]
