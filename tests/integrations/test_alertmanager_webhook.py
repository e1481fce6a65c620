from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from tocsin.domain.alerts import Action
from tocsin.errors import InputError
from tocsin.integrations.alertmanager_webhook import parse_webhook_message


def message(*alerts: dict) -> bytes:
    return orjson.dumps(
        {
            "version": "4",
            "groupKey": '{}:{alertname="X"}',
            "truncatedAlerts": 0,
            "status": "firing",
            "receiver": "tocsin",
            "groupLabels": {"alertname": "X"},
            "commonLabels": {"alertname": "X"},
            "commonAnnotations": {},
            "externalURL": "http://am:9093",
            "alerts": list(alerts),
        }
    )


def alert(status: str, instance: str, ends: str = "0001-01-01T00:00:00Z") -> dict:
    return {
        "status": status,
        "labels": {"alertname": "X", "instance": instance},
        "annotations": {"summary": "s"},
        "startsAt": "2026-03-01T11:00:00Z",
        "endsAt": ends,
        "generatorURL": "http://prom/graph",
        "fingerprint": "ignored",
    }


def test_each_alert_keeps_its_own_status() -> None:
    events = parse_webhook_message(
        message(alert("firing", "a"), alert("resolved", "b", "2026-03-01T11:30:00Z"))
    )
    assert [e.action for e in events] == [Action.TRIGGER, Action.RESOLVE]
    assert events[0].ends_at is None  # a webhook firing fires until a resolved notification
    assert events[1].ends_at == datetime(2026, 3, 1, 11, 30, tzinfo=UTC)
    assert events[0].fingerprint != events[1].fingerprint


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda m: m.update(version="3"), "version"),
        (lambda m: m.pop("alerts"), "alerts"),
        (lambda m: m["alerts"][0].update(status="pending"), "alerts[0].status"),
        (lambda m: m["alerts"][0].update(labels={}), "alerts[0].labels"),
    ],
)
def test_rejections(mutate, field: str) -> None:  # type: ignore[no-untyped-def]
    body = orjson.loads(message(alert("firing", "a")))
    mutate(body)
    with pytest.raises(InputError) as caught:
        parse_webhook_message(orjson.dumps(body))
    assert any(p.field == field for p in caught.value.problems), caught.value.problems
