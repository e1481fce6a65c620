"""Recurring maintenance silences and reminders before a silence ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from typer.testing import CliRunner

from tests.notify.conftest import firing
from tests.receiver_server import ReceiverServer
from tocsin.cli.main import app

# The tests' clock starts on Sunday 2026-03-01 12:00 UTC.
CONFIG = """
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 10m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs: [{{url: "{url}/hook"}}]
  - name: ops
    webhook_configs: [{{url: "{url}/ops"}}]
time_intervals:
  - name: sunday-noon
    time_intervals:
      - weekdays: [sunday]
        times: [{{start_time: "12:00", end_time: "12:30"}}]
silence_reminders:
  receiver: ops
  before: 15m
"""


def post_silence(h: Any, minutes: int, **extra: Any) -> Any:
    now = h.clock.now()
    return h.client.post(
        "/api/v2/silences",
        json={
            "matchers": [{"name": "alertname", "value": "Backup", "isRegex": False}],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(minutes=minutes)).isoformat(),
            "createdBy": "alice@example.com",
            "comment": "weekly backup window",
            **extra,
        },
        headers={"Authorization": f"Bearer {h.token}"},
    )


def test_recurring_silence_mutes_only_inside_its_interval(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed(CONFIG.format(url=receiver.url))
    response = post_silence(h, 14 * 24 * 60, recurrence={"timeInterval": "sunday-noon"})
    assert response.status_code == 200, response.text
    silence_id = response.json()["silenceID"]
    h.post(firing("Backup"))
    h.tick(0)
    h.tick(600)
    h.tick(600)  # 12:20: still inside the window
    assert receiver.bodies("/hook") == []
    h.tick(600)  # 12:30: the window is over, the silence is not
    assert len(receiver.bodies("/hook")) == 1
    got = h.client.get(
        f"/api/v2/silence/{silence_id}", headers={"Authorization": f"Bearer {h.token}"}
    ).json()
    assert got["status"]["state"] == "active"
    assert got["recurrence"] == {"timeInterval": "sunday-noon"}


def test_recurrence_given_inline_and_bad_recurrences(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(CONFIG.format(url=receiver.url))
    inline = {"timeIntervals": [{"weekdays": ["monday"]}]}
    assert post_silence(h, 60, recurrence=inline).status_code == 200
    h.post(firing("Backup"))
    h.tick(0)
    assert len(receiver.bodies("/hook")) == 1  # a Monday-only silence: Sunday is not muted
    unknown = post_silence(h, 60, recurrence={"timeInterval": "nope"})
    assert unknown.status_code == 400
    assert "recurrence.timeInterval" in unknown.text and "sunday-noon" in unknown.text
    bad = post_silence(h, 60, recurrence={"timeIntervals": [{"weekdays": ["funday"]}]})
    assert bad.status_code == 400 and "recurrence.timeIntervals[0].weekdays" in bad.text
    both = post_silence(h, 60, recurrence={"timeInterval": "x", "timeIntervals": []})
    assert both.status_code == 400 and "exactly one" in both.text


def test_creator_is_reminded_before_the_silence_ends(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(CONFIG.format(url=receiver.url))
    assert post_silence(h, 60).status_code == 200
    h.tick(44 * 60)
    assert receiver.bodies("/ops") == []
    h.tick(60)  # 15 minutes before the end
    [reminder] = receiver.bodies("/ops")
    alert = reminder["alerts"][0]
    assert alert["labels"]["alertname"] == "SilenceEnding"
    assert alert["labels"]["created_by"] == "alice@example.com"
    assert "13:00 UTC" in alert["annotations"]["summary"]
    assert 'alertname="Backup"' in alert["annotations"]["summary"]
    assert reminder["notification_reason"] == "silence ending"
    h.tick(3600)
    assert len(receiver.bodies("/ops")) == 1  # once


def test_extended_silence_is_reminded_later_and_expired_one_not_at_all(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed(CONFIG.format(url=receiver.url))
    auth = {"Authorization": f"Bearer {h.token}"}
    first = post_silence(h, 60).json()["silenceID"]
    h.tick(30 * 60)
    now = h.clock.now()
    extended = h.client.post(
        "/api/v2/silences",
        json={
            "id": first,
            "matchers": [{"name": "alertname", "value": "Backup", "isRegex": False}],
            "startsAt": (now - timedelta(minutes=30)).isoformat(),
            "endsAt": (now + timedelta(hours=2)).isoformat(),
            "createdBy": "alice@example.com",
            "comment": "longer",
        },
        headers=auth,
    )
    assert extended.json()["silenceID"] == first
    h.tick(30 * 60)  # the old reminder time has passed
    assert receiver.bodies("/ops") == []
    second = post_silence(h, 30).json()["silenceID"]
    assert h.client.delete(f"/api/v2/silence/{second}", headers=auth).status_code == 200
    h.tick(75 * 60)  # 14:15: the first's new reminder time (15 min before 14:30)
    reminders = receiver.bodies("/ops")
    assert [r["alerts"][0]["labels"]["silence_id"] for r in reminders] == [first]


def test_cli_adds_a_recurring_silence(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(CONFIG.format(url=receiver.url))
    env = {"TOCSIN_DATABASE_URL": h.db_url, "COLUMNS": "200"}
    args = ["silence", "add", "alertname=Backup", "-c", "backups", "-a", "bob", "-d", "30d"]
    result = CliRunner().invoke(
        app, [*args, "--recur", "sunday-noon", "--config", str(h.config)], env=env
    )
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(app, ["silence", "list"], env=env)
    assert "sunday-noon" in listed.output
    result = CliRunner().invoke(
        app, [*args, "--recur", "never", "--config", str(h.config)], env=env
    )
    assert result.exit_code == 1 and "unknown time interval 'never'" in result.output
