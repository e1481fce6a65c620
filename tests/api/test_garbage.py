"""Generated garbage at every ingest endpoint: never a 5xx, and a 4xx stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Stored
from tocsin.domain.integrations import IntegrationKind


def _dumps(value: Any) -> bytes:
    # The stdlib, not orjson: it writes integers beyond 64 bits, which senders may too.
    return json.dumps(value).encode()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)

VALID: dict[str, Any] = {
    "alertmanager": [
        {
            "labels": {"alertname": "A", "job": "j"},
            "annotations": {"summary": "s"},
            "startsAt": "2026-03-01T11:00:00Z",
            "endsAt": "2026-03-01T13:00:00Z",
            "generatorURL": "http://p",
        }
    ],
    "alertmanager-webhook": {
        "version": "4",
        "status": "firing",
        "receiver": "r",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "",
        "groupKey": "k",
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "W"},
                "annotations": {},
                "startsAt": "2026-03-01T11:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": "x",
            }
        ],
    },
    "pagerduty": {
        "routing_key": "TOKEN",
        "event_action": "trigger",
        "dedup_key": "d",
        "payload": {"summary": "s", "source": "h", "severity": "critical"},
    },
    "opsgenie": {"message": "m", "alias": "a", "priority": "P2", "tags": ["t"]},
    "webhook": {"title": "t", "status": "firing", "labels": {"a": "b"}, "dedup_key": "k"},
}


def _mutate(data: Any, draw: st.DrawFn) -> Any:
    """Replace, drop or retype one value somewhere inside ``data``."""
    if isinstance(data, dict) and data and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(data)))
        choice = draw(st.integers(0, 3))
        out = dict(data)
        if choice == 0:
            del out[key]
        elif choice == 1:
            out[key] = draw(json_values)
        elif choice == 2:
            out[draw(st.text(max_size=10))] = draw(json_values)
        else:
            out[key] = _mutate(data[key], draw)
        return out
    if isinstance(data, list) and data and draw(st.booleans()):
        i = draw(st.integers(0, len(data) - 1))
        return [*data[:i], _mutate(data[i], draw), *data[i + 1 :]]
    return draw(json_values)


@st.composite
def bodies(draw: st.DrawFn, kind: str) -> bytes:
    how = draw(st.integers(0, 9))
    if how == 0:
        return draw(st.binary(max_size=200))
    if how == 1:
        return _dumps(draw(json_values))
    mutated = VALID[kind]
    for _ in range(draw(st.integers(1, 3))):
        mutated = _mutate(mutated, draw)
    return _dumps(mutated)


def _targets(tokens: dict[IntegrationKind, str]) -> dict[str, tuple[str, dict[str, str]]]:
    am = {"Authorization": f"Bearer {tokens[IntegrationKind.ALERTMANAGER]}"}
    amw = {"Authorization": f"Bearer {tokens[IntegrationKind.ALERTMANAGER_WEBHOOK]}"}
    og = {"Authorization": f"GenieKey {tokens[IntegrationKind.OPSGENIE]}"}
    return {
        "alertmanager": ("/api/v2/alerts", am),
        "alertmanager-webhook": ("/integrations/alertmanager", amw),
        "pagerduty": ("/v2/enqueue", {}),
        "opsgenie": ("/v2/alerts", og),
        "opsgenie-close": ("/v2/alerts/a/close?identifierType=alias", og),
        "webhook": (f"/integrations/webhook/{tokens[IntegrationKind.WEBHOOK]}", {}),
    }


@pytest.mark.parametrize(
    "target",
    ["alertmanager", "alertmanager-webhook", "pagerduty", "opsgenie", "opsgenie-close", "webhook"],
)
def test_garbage_never_500s_and_rejections_store_nothing(
    client: TestClient, tokens: dict, stored: Stored, target: str
) -> None:
    path, headers = _targets(tokens)[target]
    kind = "opsgenie" if target == "opsgenie-close" else target
    pd_token = tokens[IntegrationKind.PAGERDUTY].encode()

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=bodies(kind))
    def check(body: bytes) -> None:
        body = body.replace(b'"TOKEN"', b'"' + pd_token + b'"')
        before = stored.snapshot()
        r = client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code < 500, (r.status_code, r.text)
        if r.status_code >= 400:
            assert stored.snapshot() == before, "a rejected request changed stored data"
            assert r.headers["content-type"].startswith("application/json")
            answer = r.json()
            assert answer.get("errors") or answer.get("message"), answer

    check()
