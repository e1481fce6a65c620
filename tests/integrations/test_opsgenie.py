from __future__ import annotations

import orjson
import pytest

from tocsin.domain.alerts import Action
from tocsin.errors import InputError
from tocsin.integrations.opsgenie import alias_fingerprint, parse_action, parse_create


def create(body: dict):  # type: ignore[no-untyped-def]
    return parse_create(orjson.dumps(body), integration_id=3, new_alias="req-1")


def test_create_maps_priority_tags_and_alias() -> None:
    e = create(
        {
            "message": "Cert expiring",
            "alias": "cert-api",
            "description": "7 days left",
            "tags": ["tls", "api", "tls"],
            "details": {"host": "api-1"},
            "entity": "api",
            "source": "certbot",
            "priority": "P1",
            "responders": [{"type": "team", "name": "ops"}],
            "note": "first",
        }
    )
    assert dict(e.labels) == {
        "alertname": "Cert expiring",
        "entity": "api",
        "priority": "P1",
        "severity": "critical",
        "source": "certbot",
        "tags": "api,tls",
    }
    assert e.annotations == {"summary": "Cert expiring", "description": "7 days left"}
    assert e.fingerprint == alias_fingerprint(3, "cert-api") and e.dedup_key == "cert-api"
    assert e.note == "first" and e.details == {"details": {"host": "api-1"}}


def test_default_priority_and_generated_alias() -> None:
    e = create({"message": "m"})
    assert e.labels["priority"] == "P3" and e.labels["severity"] == "warning"
    assert e.dedup_key == "req-1"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "message"),
        ({"message": ""}, "message"),
        ({"message": "m" * 131}, "message"),
        ({"message": "m", "priority": "P9"}, "priority"),
        ({"message": "m", "tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"message": "m", "details": {"a": {"nested": 1}}}, "details.a"),
    ],
)
def test_invalid_creates_name_the_field(body: dict, field: str) -> None:
    with pytest.raises(InputError) as caught:
        create(body)
    assert any(p.field == field for p in caught.value.problems), caught.value.problems


def test_close_and_acknowledge_bodies_are_optional() -> None:
    e = parse_action(b"", action=Action.RESOLVE, fingerprint="f" * 16, dedup_key="a")
    assert e.action is Action.RESOLVE and e.note is None
    e = parse_action(
        b'{"note": "on it", "user": "ann"}',
        action=Action.ACKNOWLEDGE,
        fingerprint="f",
        dedup_key="a",
    )
    assert e.note == "on it"
