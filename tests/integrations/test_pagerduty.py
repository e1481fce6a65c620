from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from tocsin.domain.alerts import Action, Identity
from tocsin.errors import InputError
from tocsin.integrations.pagerduty import parse_event, routing_key_of

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(**overrides: object) -> dict:
    body: dict = {
        "routing_key": "k" * 32,
        "event_action": "trigger",
        "payload": {
            "summary": "DB down",
            "source": "db-1",
            "severity": "critical",
            "timestamp": "2026-03-01T11:59:00.000+0000",
            "component": "postgres",
            "group": "prod",
            "class": "availability",
            "custom_details": {"free": "0%"},
        },
        "links": [{"href": "http://runbook", "text": "runbook"}],
        "client_url": "http://monitor",
    }
    body.update(overrides)
    return body


def parse(body: dict, integration_id: int = 1):  # type: ignore[no-untyped-def]
    return parse_event(
        orjson.dumps(body), integration_id=integration_id, new_dedup_key="gen", now=NOW
    )


def test_trigger_maps_payload_to_labels_and_details() -> None:
    e, key = parse(event(dedup_key="db-1/down"))
    assert key == "db-1/down" and e.dedup_key == "db-1/down"
    assert e.identity is Identity.DEDUP_KEY and e.action is Action.TRIGGER
    assert dict(e.labels) == {
        "alertname": "DB down",
        "class": "availability",
        "component": "postgres",
        "group": "prod",
        "severity": "critical",
        "source": "db-1",
    }
    assert e.details == {
        "custom_details": {"free": "0%"},
        "links": [{"href": "http://runbook", "text": "runbook"}],
    }
    assert e.starts_at == datetime(2026, 3, 1, 11, 59, tzinfo=UTC)
    assert e.generator_url == "http://monitor"


def test_dedup_key_is_generated_when_absent_and_scoped_to_the_routing_key() -> None:
    e, key = parse(event())
    assert key == "gen"
    e2, _ = parse(event(dedup_key="gen"), integration_id=2)
    assert e.fingerprint != e2.fingerprint
    e3, _ = parse(event(dedup_key="gen"))
    assert e.fingerprint == e3.fingerprint


def test_resolve_needs_only_a_dedup_key() -> None:
    e, _ = parse({"routing_key": "k", "event_action": "resolve", "dedup_key": "x"})
    assert e.action is Action.RESOLVE and e.dedup_key == "x"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"routing_key": "k", "event_action": "acknowledge"}, "dedup_key"),
        ({"routing_key": "k", "event_action": "trigger"}, "payload"),
        (event(event_action="escalate"), "event_action"),
        (event(dedup_key="x" * 256), "dedup_key"),
        (
            event(payload={"summary": "s" * 1025, "source": "a", "severity": "info"}),
            "payload.summary",
        ),
        (event(payload={"summary": "s", "source": "a", "severity": "fatal"}), "payload.severity"),
        (event(payload={"summary": "s", "severity": "info"}), "payload.source"),
    ],
)
def test_invalid_events_name_the_field(body: dict, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(body)
    assert any(p.field == field for p in caught.value.problems), caught.value.problems


def test_routing_key_is_read_before_validation() -> None:
    assert routing_key_of(b'{"routing_key": "abc", "event_action": 5}') == "abc"
    assert routing_key_of(b"[1]") is None
    assert routing_key_of(b'{"routing_key": 5}') is None
