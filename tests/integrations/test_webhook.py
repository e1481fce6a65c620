from __future__ import annotations

import orjson
import pytest

from tocsin.domain.alerts import Action
from tocsin.errors import InputError
from tocsin.integrations.webhook import WebhookMapping, parse_webhook


def parse(body: object, mapping: WebhookMapping | None = None):  # type: ignore[no-untyped-def]
    return parse_webhook(orjson.dumps(body), integration_id=9, mapping=mapping)


def test_default_shape() -> None:
    e = parse(
        {
            "title": "Login check failed",
            "status": "firing",
            "dedup_key": "synthetic-login",
            "severity": "critical",
            "labels": {"service": "auth"},
            "annotations": {"runbook_url": "http://rb"},
            "description": "3 of 3 probes failed",
            "url": "http://checks/1",
        }
    )
    assert e.action is Action.TRIGGER and e.dedup_key == "synthetic-login"
    assert dict(e.labels) == {
        "alertname": "Login check failed",
        "service": "auth",
        "severity": "critical",
    }
    assert e.annotations == {
        "runbook_url": "http://rb",
        "summary": "Login check failed",
        "description": "3 of 3 probes failed",
    }
    assert e.generator_url == "http://checks/1"


def test_without_dedup_key_the_labels_identify_the_alert() -> None:
    a = parse({"title": "T", "labels": {"x": "1"}})
    b = parse({"title": "T", "labels": {"x": "1"}, "status": "resolved"})
    c = parse({"title": "T", "labels": {"x": "2"}})
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert b.action is Action.RESOLVE


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "title"), ({"title": "t", "status": "exploded"}, "status"), ({"title": 5}, "title")],
)
def test_default_shape_rejections(body: dict, field: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(body)
    assert any(p.field == field for p in caught.value.problems)


GRAFANA_LIKE = WebhookMapping(
    title="alert.name",
    status="state",
    status_values={"ok": "resolved", "alerting": "firing"},
    dedup_key="alert.id",
    severity="tags.0",
    labels={"host": "evalMatches.0.tags.host"},
    annotations={"dashboard": "ruleUrl"},
)


def test_mapping_reads_the_senders_own_json() -> None:
    body = {
        "alert": {"name": "CPU high", "id": 42},
        "state": "ok",
        "tags": ["warning"],
        "evalMatches": [{"tags": {"host": "web-1"}}],
        "ruleUrl": "http://grafana/d/1",
    }
    e = parse(body, GRAFANA_LIKE)
    assert e.action is Action.RESOLVE
    assert e.dedup_key == "42"
    assert dict(e.labels) == {"alertname": "CPU high", "host": "web-1", "severity": "warning"}
    assert e.annotations["dashboard"] == "http://grafana/d/1"
    assert e.details == body


def test_mapping_names_the_missing_path() -> None:
    with pytest.raises(InputError) as caught:
        parse({"state": "alerting"}, GRAFANA_LIKE)
    assert [p.field for p in caught.value.problems] == ["alert.name"]


def test_mapping_unknown_status_word_is_named() -> None:
    with pytest.raises(InputError) as caught:
        parse({"alert": {"name": "x"}, "state": "pending"}, GRAFANA_LIKE)
    assert caught.value.problems[0].field == "mapped.status"


def test_mapping_itself_is_validated() -> None:
    with pytest.raises(ValueError):
        WebhookMapping.model_validate({"title": "a", "labels": {"bad-name": "x"}})
    with pytest.raises(ValueError):
        WebhookMapping.model_validate({"title": "a", "status_values": {"ok": "fine"}})
    with pytest.raises(ValueError):
        WebhookMapping.model_validate({"title": "a", "unknown": "x"})
