"""Housekeeping on the fake clock: expiry becomes durable, old alerts are forgotten."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.store.tables import alert_events, alerts, timers


def test_expired_alerts_resolve_then_are_deleted_after_retention(
    client: TestClient, runtime: Runtime, clock: FakeClock, tokens: dict
) -> None:
    h = {"Authorization": f"Bearer {tokens[IntegrationKind.ALERTMANAGER]}"}
    client.post("/api/v2/alerts", json=[{"labels": {"alertname": "Quiet"}}], headers=h)
    client.post(
        "/v2/enqueue",
        json={
            "routing_key": tokens[IntegrationKind.PAGERDUTY],
            "event_action": "trigger",
            "payload": {"summary": "stays", "source": "s", "severity": "info"},
        },
    )
    runtime.runner.run_due()  # the housekeeping timer is due at start
    with runtime.db.read() as conn:
        statuses = dict(conn.execute(select(alerts.c.fingerprint, alerts.c.status)).all())
    assert sorted(statuses.values()) == ["firing", "firing"]

    clock.advance(timedelta(minutes=5))
    runtime.runner.run_due()
    with runtime.db.read() as conn:
        rows = conn.execute(select(alerts).order_by(alerts.c.id)).mappings().all()
        events = conn.execute(select(alert_events.c.outcome, alert_events.c.payload)).all()
        [timer] = (
            conn.execute(select(timers).where(timers.c.kind == "housekeeping")).mappings().all()
        )
    quiet, stays = rows
    assert quiet["status"] == "resolved" and quiet["resolution"] == "timeout"
    assert quiet["resolved_at"] == quiet["ends_at"]
    assert stays["status"] == "firing"  # PagerDuty alerts have no endsAt
    assert ("resolved", {"expired": True}) in [tuple(e) for e in events]
    assert timer["kind"] == "housekeeping" and timer["due_at"] == clock.now() + timedelta(
        seconds=30
    )

    clock.advance(runtime.settings.alert_retention + timedelta(seconds=1))
    runtime.runner.run_due()
    with runtime.db.read() as conn:
        left = conn.execute(select(alerts.c.status)).scalars().all()
        left_events = conn.execute(select(alert_events.c.alert_id)).scalars().all()
    assert left == ["firing"]
    assert set(left_events) == {stays["id"]}


def test_unchanged_resends_are_logged_compactly_and_trimmed_after_a_day(
    client: TestClient, runtime: Runtime, clock: FakeClock, tokens: dict
) -> None:
    h = {"Authorization": f"Bearer {tokens[IntegrationKind.ALERTMANAGER]}"}
    alert = {"labels": {"alertname": "Resent"}, "endsAt": "2026-03-09T00:00:00Z"}
    client.post("/api/v2/alerts", json=[alert], headers=h)
    clock.advance(timedelta(hours=1))
    client.post("/api/v2/alerts", json=[alert], headers=h)
    with runtime.db.read() as conn:
        rows = conn.execute(select(alert_events.c.outcome, alert_events.c.payload)).all()
    assert [r[0] for r in rows] == ["created", "unchanged"]
    assert rows[1][1] == {"ends_at": "2026-03-09T00:00:00+00:00"}
    assert rows[0][1]["labels"] == {"alertname": "Resent"}

    clock.advance(timedelta(hours=23, minutes=59))
    runtime.runner.run_due()
    with runtime.db.read() as conn:
        assert len(conn.execute(select(alert_events.c.id)).all()) == 2
    clock.advance(timedelta(hours=1, minutes=2))
    runtime.runner.run_due()
    with runtime.db.read() as conn:
        left = conn.execute(select(alert_events.c.outcome)).scalars().all()
    assert left == ["created"]
