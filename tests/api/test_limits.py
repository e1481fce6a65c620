"""Every ingest endpoint refuses an oversized body with 413 and stores nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Stored
from tocsin.domain.integrations import IntegrationKind


@pytest.mark.parametrize(
    "kind",
    [
        IntegrationKind.ALERTMANAGER,
        IntegrationKind.ALERTMANAGER_WEBHOOK,
        IntegrationKind.PAGERDUTY,
        IntegrationKind.OPSGENIE,
        IntegrationKind.WEBHOOK,
    ],
)
def test_oversized_bodies_are_413_everywhere(
    client: TestClient, tokens: dict, stored: Stored, kind: IntegrationKind
) -> None:
    token = tokens[kind]
    body = b'{"pad": "' + b"x" * (512 * 1024) + b'"}'
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    path = kind.endpoint.replace("{token}", token)
    if kind is IntegrationKind.OPSGENIE:
        headers["Authorization"] = f"GenieKey {token}"
    if kind is IntegrationKind.PAGERDUTY:
        body = b'{"routing_key": "' + token.encode() + b'", "pad": "' + b"x" * 600_000 + b'"}'
    r = client.post(path, content=body, headers=headers)
    assert r.status_code == 413, r.text
    assert "512" in r.text or "524288" in r.text  # the answer names the limit
    assert stored.events() == []
