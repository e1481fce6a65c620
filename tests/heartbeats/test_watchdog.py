"""An Alertmanager Watchdog feeds a heartbeat: through the heartbeat's webhook endpoint (a
Watchdog route in Alertmanager), or straight from Prometheus to /api/v2/alerts when the
alert matches the heartbeat's ``watchdog:`` matchers."""

from __future__ import annotations

from typing import Any

from tests.heartbeats.conftest import Beats
from tocsin.domain.alerts import Action, AlertEvent, Identity
from tocsin.domain.heartbeats import HeartbeatState
from tocsin.services.intake import Submission
from tocsin.store import integrations as integration_store

MINUTE = 60


def notification(status: str = "firing", **labels: str) -> dict[str, Any]:
    alert_labels = {"alertname": "Watchdog", **labels}
    return {
        "version": "4",
        "groupKey": '{}/{alertname="Watchdog"}:{}',
        "status": status,
        "receiver": "tocsin-heartbeat",
        "groupLabels": {},
        "commonLabels": alert_labels,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": status,
                "labels": alert_labels,
                "annotations": {},
                "startsAt": "2026-03-01T11:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": "0123456789abcdef",
            }
        ],
    }


def webhook(beats: Beats, name: str, body: dict[str, Any], **kw: Any) -> Any:
    headers = kw.pop("headers", None)
    if headers is None:
        headers = {"Authorization": f"Bearer {beats.token(name)}"}
    return beats.client.post(
        f"/api/heartbeats/{name}/alertmanager", json=body, headers=headers, **kw
    )


def test_each_alertmanager_notification_with_a_firing_alert_is_a_ping(beats: Beats) -> None:
    for _ in range(10):  # the Watchdog route repeats every minute: up for 10 minutes
        answer = webhook(beats, "cron", notification())
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "success", "ping": True}
        beats.tick(MINUTE)
    status = beats.status("cron")
    assert status.state is HeartbeatState.UP
    assert status.pings == 10
    assert status.last_ping_source == "alertmanager"
    assert beats.alerts("cron") == []
    # The Watchdog itself is not stored: the endpoint only counts pings.
    assert (
        beats.client.get(
            "/api/v2/alerts",
            params={"filter": 'alertname="Watchdog"'},
            headers={"Authorization": f"Bearer {beats.h.token}"},
        ).json()
        == []
    )


def test_a_resolved_notification_is_not_a_ping(beats: Beats) -> None:
    answer = webhook(beats, "cron", notification("resolved"))
    assert answer.json() == {"status": "success", "ping": False}
    assert beats.status("cron").pings == 0
    beats.tick(6 * MINUTE)
    assert beats.status("cron").state is HeartbeatState.DOWN


def test_the_webhook_endpoint_takes_the_token_and_a_valid_payload(beats: Beats) -> None:
    assert webhook(beats, "cron", notification(), headers={}).status_code == 401
    wrong = {"Authorization": f"Bearer {beats.token('backup')}"}
    assert webhook(beats, "cron", notification(), headers=wrong).status_code == 403
    token = beats.token("cron")
    by_query = webhook(beats, "cron", notification(), headers={}, params={"token": token})
    assert by_query.status_code == 200
    bad = webhook(beats, "cron", {"version": "3", "alerts": []})
    assert bad.status_code == 400
    assert "version" in bad.text
    assert webhook(beats, "nope", notification(), headers={}).status_code == 404


def test_a_watchdog_alert_posted_to_the_v2_api_pings_matching_heartbeats(beats: Beats) -> None:
    watchdog = {
        "labels": {"alertname": "Watchdog", "prometheus": "prod"},
        "startsAt": "2026-03-01T11:00:00Z",
    }
    for _ in range(10):  # Prometheus re-sends every firing alert each evaluation
        beats.h.post(watchdog)
        beats.tick(MINUTE)
    status = beats.status("prometheus")
    assert status.state is HeartbeatState.UP
    assert status.pings == 10
    assert status.last_ping_source == "watchdog"
    # Other alerts, and Watchdogs of another Prometheus, do not ping.
    beats.h.post({"labels": {"alertname": "Watchdog", "prometheus": "dev"}})
    beats.h.post({"labels": {"alertname": "DiskFull", "prometheus": "prod"}})
    assert beats.status("prometheus").pings == 10
    beats.tick(3 * MINUTE)  # Prometheus is gone: 2m interval + 1m grace
    assert beats.status("prometheus").state is HeartbeatState.DOWN
    [alert] = beats.alerts("prometheus")
    assert alert["labels"]["alertname"] == "PrometheusWatchdogMissing"
    assert alert["labels"]["severity"] == "warning"
    assert beats.sent("prometheus") == [("firing", "prometheus", "PrometheusWatchdogMissing")]
    beats.h.post(watchdog)  # back
    beats.tick(MINUTE)
    assert beats.status("prometheus").state is HeartbeatState.UP
    assert beats.alerts("prometheus") == []
    assert beats.sent("prometheus")[-1][0] == "resolved"


def test_a_resolved_watchdog_is_not_a_ping(beats: Beats) -> None:
    beats.h.post(
        {
            "labels": {"alertname": "Watchdog", "prometheus": "prod"},
            "endsAt": "2026-03-01T11:59:00Z",
        }
    )
    assert beats.status("prometheus").pings == 0


def test_a_watchdog_received_before_a_later_ping_does_not_move_the_deadline_back(
    beats: Beats,
) -> None:
    """The intake stamps a batch when it arrives and commits it a little later: an HTTP ping
    may be recorded in between. The Watchdog's ping then counts from the later of the two."""
    beats.tick(MINUTE)
    arrived = beats.h.clock.now()
    beats.tick(30)
    assert beats.ping("prometheus").status_code == 200  # 12:01:30
    pinged = beats.h.clock.now()
    watchdog = AlertEvent(
        fingerprint="f",
        identity=Identity.LABELS,
        action=Action.TRIGGER,
        labels={"alertname": "Watchdog", "prometheus": "prod"},
    )
    runtime = beats.h.runtime
    with runtime.db.write() as conn:
        [prom] = [i for i in integration_store.list_all(conn) if i.name == "prom"]
        runtime.heartbeats.watchdog(conn, [Submission(prom, [watchdog], received_at=arrived)])
    status = beats.status("prometheus")
    assert status.pings == 2
    assert status.last_ping_source == "watchdog"
    assert status.counting_from == pinged
    assert status.last_ping_at == pinged
    beats.tick(3 * MINUTE - 1)  # interval + grace from the HTTP ping, not from 12:01
    assert beats.status("prometheus").state is HeartbeatState.UP
    beats.tick(1)
    assert beats.status("prometheus").state is HeartbeatState.DOWN
