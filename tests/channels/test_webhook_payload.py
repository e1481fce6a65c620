"""The webhook payload builder on its own (the peer test compares it with Alertmanager's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tocsin.channels.webhook_payload import PayloadAlert, build_payload, go_time

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (T0, "2026-03-01T12:00:00Z"),
        (T0.replace(microsecond=500000), "2026-03-01T12:00:00.5Z"),
        (T0.replace(microsecond=123), "2026-03-01T12:00:00.000123Z"),
        (T0.astimezone(timezone(timedelta(hours=2))), "2026-03-01T12:00:00Z"),
        (None, "0001-01-01T00:00:00Z"),
    ],
)
def test_go_time(value: datetime | None, text: str) -> None:
    assert go_time(value) == text


def alert(firing: bool = True, **labels: str) -> PayloadAlert:
    return PayloadAlert(
        fingerprint="f",
        labels=labels,
        annotations={"summary": labels.get("instance", "")},
        starts_at=T0,
        ends_at=None if firing else T0 + timedelta(minutes=5),
        generator_url="",
        firing=firing,
    )


def test_sorting_common_labels_truncation_and_status() -> None:
    alerts = [
        alert(job="b", instance="1"),
        alert(instance="0"),  # no job: after those with one
        alert(job="a", instance="2", extra="x"),
        alert(False, job="a", instance="1"),
    ]
    payload = build_payload(
        receiver="r", group_key="{}:{}", group_labels={}, alerts=alerts, external_url="http://t"
    )
    assert [(a["labels"].get("job"), a["labels"]["instance"]) for a in payload["alerts"]] == [
        ("a", "1"),
        ("a", "2"),
        ("b", "1"),
        (None, "0"),
    ]
    assert payload["status"] == "firing"
    assert payload["alerts"][0]["status"] == "resolved"
    assert payload["alerts"][0]["endsAt"] == "2026-03-01T12:05:00Z"
    assert payload["alerts"][1]["endsAt"] == "0001-01-01T00:00:00Z"
    assert payload["commonLabels"] == {} and payload["commonAnnotations"] == {}
    truncated = build_payload(
        receiver="r",
        group_key="{}:{}",
        group_labels={},
        alerts=alerts,
        external_url="",
        max_alerts=2,
    )
    assert truncated["truncatedAlerts"] == 2
    assert truncated["commonLabels"] == {"job": "a"}  # computed after truncation
    assert truncated["status"] == "firing"
    only_resolved = build_payload(
        receiver="r", group_key="k", group_labels={}, alerts=[alerts[3]], external_url=""
    )
    assert only_resolved["status"] == "resolved"
