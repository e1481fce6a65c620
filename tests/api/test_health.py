from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import text

from tocsin.domain.integrations import IntegrationKind
from tocsin.services.runtime import Runtime
from tocsin.store import migrate


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["migration"] == migrate.head_revision()


def test_readyz_fails_when_migrations_are_behind(client: TestClient, runtime: Runtime) -> None:
    with runtime.db.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0020'"))  # not yet 0021
    try:
        r = client.get("/readyz")
    finally:
        with runtime.db.write() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :head"),
                {"head": migrate.head_revision()},
            )
    assert r.status_code == 503 and f"expected {migrate.head_revision()}" in r.json()["migrations"]


def test_metrics_count_alerts_by_integration_and_outcome(client: TestClient, tokens: dict) -> None:
    h = {"Authorization": f"Bearer {tokens[IntegrationKind.ALERTMANAGER]}"}
    client.post("/api/v2/alerts", json=[{"labels": {"a": "1"}}, {"labels": {"a": "2"}}], headers=h)
    client.post("/api/v2/alerts", json=[{"labels": {"a": "1"}}], headers=h)
    text_ = client.get("/metrics").text
    assert (
        'tocsin_alerts_received_total{integration_kind="alertmanager",outcome="created"} 2.0'
        in text_
    )
    assert (
        'tocsin_alerts_received_total{integration_kind="alertmanager",outcome="unchanged"} 1.0'
        in text_
    )
    latency = 'tocsin_http_request_duration_seconds_count{method="POST",route="/api/v2/alerts"'
    assert f'{latency},status="200"}} 2.0' in text_
    assert "tocsin_db_commit_duration_seconds_count 2.0" in text_


def test_openapi_documents_every_intake(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/v2/alerts",
        "/v2/enqueue",
        "/v2/alerts",
        "/integrations/alertmanager",
        "/integrations/webhook/{token}",
    ):
        assert path in spec["paths"], path
    assert "requestBody" in spec["paths"]["/v2/enqueue"]["post"]
    # Every $ref points into the document itself (no pydantic "#/$defs/..." left dangling).
    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(spec))
    assert refs
    for ref in refs:
        node = spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    assert client.get("/docs").status_code == 200
