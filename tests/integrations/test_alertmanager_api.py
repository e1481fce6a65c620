from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tocsin.domain.alerts import Action, Identity
from tocsin.domain.labels import fingerprint
from tocsin.errors import InputError
from tocsin.integrations.alertmanager_api import parse_postable_alerts

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FIVE = timedelta(minutes=5)


def parse(alerts: object) -> list:
    return parse_postable_alerts(orjson.dumps(alerts), now=NOW, resolve_timeout=FIVE)


def test_prometheus_alert_keeps_its_times() -> None:
    [e] = parse(
        [
            {
                "labels": {"alertname": "Up", "job": "api"},
                "annotations": {"summary": "s"},
                "startsAt": "2026-03-01T11:00:00Z",
                "endsAt": "2026-03-01T12:04:00+00:00",
                "generatorURL": "http://prom/graph",
            }
        ]
    )
    assert e.action is Action.TRIGGER and e.identity is Identity.LABELS
    assert e.starts_at == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    assert e.ends_at == datetime(2026, 3, 1, 12, 4, tzinfo=UTC) and not e.ends_at_is_timeout
    assert e.fingerprint == fingerprint({"alertname": "Up", "job": "api"})
    assert e.generator_url == "http://prom/graph"


def test_missing_times_default_as_alertmanager_does() -> None:
    [e] = parse([{"labels": {"a": "1"}}])
    assert e.starts_at == NOW and e.ends_at == NOW + FIVE and e.ends_at_is_timeout


def test_only_ends_at_given_starts_then() -> None:
    [e] = parse([{"labels": {"a": "1"}, "endsAt": "2026-03-01T11:59:00Z"}])
    assert e.starts_at == e.ends_at == datetime(2026, 3, 1, 11, 59, tzinfo=UTC)
    assert e.action is Action.RESOLVE


def test_go_zero_time_means_unset() -> None:
    [e] = parse([{"labels": {"a": "1"}, "endsAt": "0001-01-01T00:00:00Z"}])
    assert e.action is Action.TRIGGER and e.ends_at_is_timeout


def test_empty_label_values_are_dropped() -> None:
    [e] = parse([{"labels": {"a": "1", "b": ""}}])
    assert dict(e.labels) == {"a": "1"}


@pytest.mark.parametrize(
    ("body", "field", "problem"),
    [
        ([{"labels": {}}], "[0].labels", "at least one label pair"),
        ([{"labels": {"b": ""}}], "[0].labels", "at least one label pair"),
        ([{"annotations": {}}], "[0].labels", "is required"),
        ([{"labels": {"1x": "v"}}], "[0].labels.1x", "invalid label name"),
        ([{"labels": {"a": 1}}], "[0].labels.a", "valid string"),
        (
            [{"labels": {"a": "1"}, "annotations": {"bad-name": "x"}}],
            "[0].annotations.bad-name",
            "invalid",
        ),
        ([{"labels": {"a": "1"}, "startsAt": "yesterday"}], "[0].startsAt", "datetime"),
        (
            [
                {
                    "labels": {"a": "1"},
                    "startsAt": "2026-03-01T12:00:00Z",
                    "endsAt": "2026-03-01T11:00:00Z",
                }
            ],
            "[0].endsAt",
            "before startsAt",
        ),
        ({"labels": {"a": "1"}}, "body", "valid array"),
    ],
)
def test_rejections_name_the_field(body: object, field: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(body)
    assert any(p.field == field and problem in p.problem for p in caught.value.problems), (
        caught.value.problems
    )


@pytest.mark.parametrize("raw", [b"", b"[", b"{]", b"\xff\xfe", b"null"])
def test_malformed_bodies_are_input_errors(raw: bytes) -> None:
    with pytest.raises(InputError):
        parse_postable_alerts(raw, now=NOW, resolve_timeout=FIVE)


def test_one_bad_alert_rejects_the_whole_request() -> None:
    with pytest.raises(InputError) as caught:
        parse([{"labels": {"ok": "1"}}, {"labels": {}}])
    assert [p.field for p in caught.value.problems] == ["[1].labels"]
