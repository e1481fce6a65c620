"""Pings keep a heartbeat up; silence past interval + grace raises an alert that reaches a
receiver through routing; the next ping resolves it."""

from __future__ import annotations

import base64

from tests.heartbeats.conftest import Beats
from tocsin.domain.heartbeats import DownReason, HeartbeatState

MINUTE = 60


def test_pings_keep_it_up_and_silence_within_grace_does_not_fire(beats: Beats) -> None:
    for _ in range(5):
        beats.tick(55 * MINUTE)
        assert beats.ping("backup").status_code == 200
    assert beats.status("backup").state is HeartbeatState.UP
    assert beats.status("backup").pings == 5
    beats.tick(69 * MINUTE)  # past the interval, within the grace
    assert beats.status("backup").state is HeartbeatState.UP
    assert beats.alerts("backup") == []
    listed = beats.client.get("/api/heartbeats", headers=beats.h.api).json()["heartbeats"]
    assert {b["name"]: b["state"] for b in listed}["backup"] == "late"
    assert beats.sent() == []


def test_silence_past_interval_and_grace_fires_and_a_ping_resolves(beats: Beats) -> None:
    beats.ping("backup")
    beats.tick(70 * MINUTE - 1)
    assert beats.alerts("backup") == []
    beats.tick(1)
    status = beats.status("backup")
    assert status.state is HeartbeatState.DOWN
    assert status.down_reason is DownReason.MISSED
    [alert] = beats.alerts("backup")
    assert alert["labels"] == {
        "alertname": "HeartbeatMissing",
        "heartbeat": "backup",
        "severity": "critical",
        "team": "storage",
    }
    assert alert["annotations"]["summary"] == (
        "no ping from backup since 2026-03-01 12:00:00 UTC (expected every 1h 00m, grace 10m 00s)"
    )
    assert alert["annotations"]["runbook_url"] == "https://runbooks.example/backup"
    assert beats.sent() == [("firing", "backup", "HeartbeatMissing")]

    beats.tick(3 * 3600)  # stays down, pages once
    assert beats.status("backup").state is HeartbeatState.DOWN
    assert len(beats.alerts("backup")) == 1

    answer = beats.ping("backup")
    assert answer.status_code == 200
    assert answer.json()["heartbeat"]["state"] == "up"
    beats.tick(MINUTE)
    assert beats.alerts("backup") == []
    assert beats.sent()[-1] == ("resolved", "backup", "HeartbeatMissing")
    assert beats.status("backup").state is HeartbeatState.UP


def test_a_heartbeat_never_pinged_fires_after_interval_and_grace(beats: Beats) -> None:
    beats.tick(5 * MINUTE)  # cron: every 5m, default grace 1m
    assert beats.status("cron").state is HeartbeatState.WAITING
    beats.tick(MINUTE)
    assert beats.status("cron").state is HeartbeatState.DOWN
    [alert] = beats.alerts("cron")
    assert "since it was configured at 2026-03-01 12:00:00 UTC" in alert["annotations"]["summary"]


def test_fail_raises_at_once_and_a_ping_resolves(beats: Beats) -> None:
    answer = beats.ping("backup", path="ping/fail")
    assert answer.status_code == 200
    assert answer.json()["status"] == "failed"
    beats.tick()
    status = beats.status("backup")
    assert status.state is HeartbeatState.DOWN
    assert status.down_reason is DownReason.FAILED
    [alert] = beats.alerts("backup")
    assert alert["annotations"]["summary"].startswith("backup reported a failure at")
    beats.ping("backup", method="GET", params={"status": "fail"})  # again: still one alert
    beats.tick()
    assert len(beats.alerts("backup")) == 1
    beats.ping("backup")
    beats.tick(MINUTE)
    assert beats.alerts("backup") == []
    assert [s for s, _, _ in beats.sent()] == ["firing", "resolved"]


def test_the_token_comes_as_bearer_basic_password_or_query(beats: Beats) -> None:
    token = beats.token("cron")
    basic = base64.b64encode(f"cron:{token}".encode()).decode()
    assert beats.ping("cron", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert beats.ping("cron", headers={}, params={"token": token}, method="GET").status_code == 200
    assert beats.status("cron").pings == 2
    assert beats.status("cron").last_ping_source == "http"


def test_wrong_or_missing_token_and_unknown_name_are_refused(beats: Beats) -> None:
    missing = beats.ping("cron", headers={})
    assert missing.status_code == 401
    assert "needs its token" in missing.json()["message"]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong = beats.ping("cron", headers={"Authorization": "Bearer " + "0" * 32})
    assert wrong.status_code == 403
    assert wrong.json()["message"] == "wrong token for heartbeat 'cron'"
    other = beats.ping("cron", headers={"Authorization": f"Bearer {beats.token('backup')}"})
    assert other.status_code == 403
    unknown = beats.ping("nope", headers={"Authorization": "Bearer x"})
    assert unknown.status_code == 404
    assert "no heartbeat named 'nope'" in unknown.json()["message"]
    assert beats.status("cron").pings == 0


def test_rotating_refuses_the_old_token(beats: Beats) -> None:
    old = beats.token("cron")
    assert beats.token("cron") == old  # shown again, the same
    new = beats.token("cron", rotate=True)
    assert new != old
    assert beats.h.runtime.heartbeats.tokens()["cron"] == new
    assert beats.ping("cron", headers={"Authorization": f"Bearer {old}"}).status_code == 403
    assert beats.ping("cron", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_the_list_needs_a_token_and_shows_deadlines(beats: Beats) -> None:
    assert beats.client.get("/api/heartbeats").status_code == 401
    beats.ping("backup")
    answer = beats.client.get("/api/heartbeats/backup", headers=beats.h.api)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["state"] == "up"
    assert body["lastPingAt"] == "2026-03-01T12:00:00Z"
    assert body["deadline"] == "2026-03-01T13:10:00Z"
    assert body["intervalSeconds"] == 3600
    assert body["graceSeconds"] == 600
    assert "token" not in str(body).lower()
