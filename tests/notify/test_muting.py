"""Silences, inhibition and time intervals mute notifications as in Alertmanager."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.notify.conftest import firing, resolved
from tests.receiver_server import ReceiverServer

BASE = """
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 1h
{routes}
receivers:
  - name: hook
    webhook_configs: [{{url: "{url}/hook"}}]
{extra}
"""


def alertnames(body: dict[str, Any]) -> list[str]:
    return [a["labels"]["alertname"] + ":" + a["labels"].get("i", "") for a in body["alerts"]]


def silence(h: Any, minutes: int, **labels: str) -> str:
    now = h.clock.now()
    response = h.client.post(
        "/api/v2/silences",
        json={
            "matchers": [
                {"name": k, "value": v, "isRegex": False, "isEqual": True}
                for k, v in labels.items()
            ],
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(minutes=minutes)).isoformat(),
            "createdBy": "test",
            "comment": "maintenance",
        },
        headers={"Authorization": f"Bearer {h.token}"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["silenceID"])


def test_silenced_alert_is_left_out_and_sent_when_the_silence_ends(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed(BASE.format(routes="", url=receiver.url, extra=""))
    silence(h, 5, alertname="Down", i="b")
    h.post(firing("Down", i="a"), firing("Down", i="b"))
    h.tick(0)
    [first] = receiver.bodies("/hook")
    assert alertnames(first) == ["Down:a"]
    h.tick(60)
    h.tick(60)
    assert len(receiver.bodies("/hook")) == 1  # muted alerts are no change
    h.tick(180)  # the silence has ended: b is new relative to what was sent
    second = receiver.bodies("/hook")[1]
    assert alertnames(second) == ["Down:a", "Down:b"]


def test_a_fully_silenced_group_sends_nothing(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(BASE.format(routes="", url=receiver.url, extra=""))
    silence(h, 30, alertname="Down")
    h.post(firing("Down", i="a"))
    h.tick(0)
    h.tick(60)
    assert receiver.bodies("/hook") == []
    assert h.deliveries() == []


def test_expiring_a_silence_through_the_api_unmutes(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(BASE.format(routes="", url=receiver.url, extra=""))
    silence_id = silence(h, 30, alertname="Down")
    h.post(firing("Down", i="a"))
    h.tick(0)
    response = h.client.delete(
        f"/api/v2/silence/{silence_id}", headers={"Authorization": f"Bearer {h.token}"}
    )
    assert response.status_code == 200
    h.tick(60)
    assert [alertnames(b) for b in receiver.bodies("/hook")] == [["Down:a"]]


def test_inhibited_target_is_sent_after_its_source_resolves(
    routed: Any, receiver: ReceiverServer
) -> None:
    extra = """
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
"""
    h = routed(BASE.format(routes="", url=receiver.url, extra=extra))
    h.post(
        firing("Outage", severity="critical", cluster="eu"),
        firing("Slow", severity="warning", cluster="eu"),
        firing("Slow", severity="warning", cluster="us", i="us"),
    )
    h.tick(0)
    bodies = {b["groupLabels"]["alertname"]: b for b in receiver.bodies("/hook")}
    assert alertnames(bodies["Slow"]) == ["Slow:us"]  # eu is inhibited, us is not
    h.post(resolved(h, "Outage", severity="critical", cluster="eu"))
    h.tick(60)
    slow = [b for b in receiver.bodies("/hook") if b["groupLabels"]["alertname"] == "Slow"]
    assert len(slow) == 2 and sorted(alertnames(slow[1])) == ["Slow:", "Slow:us"]


def test_mute_and_active_time_intervals(routed: Any, receiver: ReceiverServer) -> None:
    # The fake clock starts on Sunday 2026-03-01 12:00 UTC.
    routes = """
  routes:
    - matchers: ['team="ops"']
      mute_time_intervals: [weekends]
    - matchers: ['team="dev"']
      active_time_intervals: [weekends]
    - matchers: ['team="web"']
      active_time_intervals: [weekdays]
"""
    extra = """
time_intervals:
  - name: weekends
    time_intervals: [{weekdays: ['saturday', 'sunday']}]
  - name: weekdays
    time_intervals: [{weekdays: ['monday:friday']}]
"""
    h = routed(BASE.format(routes=routes, url=receiver.url, extra=extra))
    h.post(firing("A", team="ops"), firing("B", team="dev"), firing("C", team="web"))
    h.tick(0)
    assert sorted(b["groupLabels"]["alertname"] for b in receiver.bodies("/hook")) == ["B"]
    h.tick(12 * 3600)  # Monday 00:00: weekend over
    sent = sorted(b["groupLabels"]["alertname"] for b in receiver.bodies("/hook"))
    assert sent == ["A", "B", "C"]
