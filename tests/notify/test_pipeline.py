"""Grouping, timing, dedup, resolve, muting and delivery, end to end, on a fake clock."""

from __future__ import annotations

from typing import Any

from tests.notify.conftest import firing, refire, resolved
from tests.receiver_server import ReceiverServer


def config(url: str, *, route: str = "", receiver_extra: str = "", extra: str = "") -> str:
    return f"""
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
{route}
receivers:
  - name: hook
    webhook_configs:
      - url: {url}/hook
{receiver_extra}
{extra}
"""


def names(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["labels"].get("instance", ""), a["status"]) for a in payload["alerts"]]


def test_first_notification_after_group_wait_with_the_whole_group(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed(config(receiver.url))
    h.post(firing("Down", instance="a"))
    h.tick(10)
    h.post(firing("Down", instance="b"))
    h.tick(19)
    assert receiver.bodies("/hook") == []  # group_wait not over
    h.tick(1)
    [body] = receiver.bodies("/hook")
    assert names(body) == [("a", "firing"), ("b", "firing")]
    assert body["groupKey"] == '{}:{alertname="Down"}'
    assert body["groupLabels"] == {"alertname": "Down"}
    assert body["version"] == "4"
    assert body["notification_reason"] == "first notification"
    assert body["externalURL"] == "http://tocsin.test"
    [delivery] = h.deliveries()
    assert delivery.status == "sent" and delivery.attempts == 1


def test_new_alert_waits_for_the_next_group_interval_tick(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed(config(receiver.url))
    h.post(firing("Down", instance="a"))
    h.tick(30)
    h.tick(60)
    h.post(firing("Down", instance="b"))
    h.tick(0)
    assert len(receiver.bodies("/hook")) == 1
    h.tick(239)  # 30 + 60 + 239 = 329 s: one second before the tick at 330 s
    assert len(receiver.bodies("/hook")) == 1
    h.tick(1)
    second = receiver.bodies("/hook")[1]
    assert names(second) == [("a", "firing"), ("b", "firing")]
    assert second["notification_reason"] == "new alerts added"


def test_unchanged_group_repeats_after_repeat_interval_only(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed(config(receiver.url))
    h.post(firing("Down", instance="a"))
    h.tick(30)
    for _ in range(47):  # ticks every 5 minutes up to 3h55m
        h.post(firing("Down", instance="a"))  # an unchanged re-send is not a change
        h.tick(300)
    assert len(receiver.bodies("/hook")) == 1
    h.tick(300)  # 4h after the first: not strictly older yet
    assert len(receiver.bodies("/hook")) == 1
    h.tick(300)
    bodies = receiver.bodies("/hook")
    assert len(bodies) == 2 and bodies[1]["notification_reason"] == "repeat interval elapsed"


def test_resolved_sent_once_then_the_group_is_gone(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(config(receiver.url))
    h.post(firing("Down", instance="a"), firing("Down", instance="b"))
    h.tick(30)
    h.post(resolved(h, "Down", instance="a"))
    h.tick(300)
    second = receiver.bodies("/hook")[1]
    assert second["status"] == "firing"
    assert names(second) == [("a", "resolved"), ("b", "firing")]
    assert second["notification_reason"] == "some alerts resolved"
    h.post(resolved(h, "Down", instance="b"))
    h.tick(300)
    third = receiver.bodies("/hook")[2]
    assert third["status"] == "resolved" and names(third) == [("b", "resolved")]
    assert third["notification_reason"] == "all alerts resolved"
    h.tick(300)
    h.tick(3600 * 5)
    assert len(receiver.bodies("/hook")) == 3  # nothing more, no repeat of resolved
    h.post(refire(h, "Down", instance="a"))  # fires again: a new group, a first notification
    h.tick(30)
    fourth = receiver.bodies("/hook")[3]
    assert names(fourth) == [("a", "firing")]
    assert fourth["notification_reason"] == "first notification"


def test_send_resolved_false_sends_no_resolved_notification(
    routed: Any, receiver: ReceiverServer
) -> None:
    text = config(receiver.url).replace("/hook\n", "/hook\n        send_resolved: false\n")
    h = routed(text)
    h.post(firing("Down", instance="a"), firing("Down", instance="b"))
    h.tick(30)
    h.post(resolved(h, "Down", instance="a"))
    h.tick(300)
    assert len(receiver.bodies("/hook")) == 1  # the firing set shrank: not a trigger
    h.post(resolved(h, "Down", instance="b"))
    h.tick(300)
    h.post(refire(h, "Down", instance="a"))
    h.tick(300)
    bodies = receiver.bodies("/hook")
    assert len(bodies) == 2 and names(bodies[1]) == [("a", "firing")]


def test_old_alert_flushes_a_new_group_at_once(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(config(receiver.url))
    alert = firing("Down", instance="a")
    alert["startsAt"] = "2026-03-01T11:00:00Z"  # an hour before the clock's now
    h.post(alert)
    h.tick(0)
    assert len(receiver.bodies("/hook")) == 1


def test_routes_groups_and_continue(routed: Any, receiver: ReceiverServer) -> None:
    text = f"""
route:
  receiver: hook
  group_wait: 0s
  routes:
    - matchers: ['team="db"']
      receiver: db
      group_by: [cluster]
      continue: true
    - matchers: ['severity="critical"']
      receiver: pager
receivers:
  - name: hook
    webhook_configs: [{{url: "{receiver.url}/hook"}}]
  - name: db
    webhook_configs: [{{url: "{receiver.url}/db"}}]
  - name: pager
    webhook_configs: [{{url: "{receiver.url}/pager"}}]
"""
    h = routed(text)
    h.post(
        firing("Disk", team="db", severity="critical", cluster="eu"),
        firing("Slow", team="db", cluster="eu"),
        firing("Lag", cluster="us"),
    )
    h.tick(0)
    [db] = receiver.bodies("/db")
    assert sorted(a["labels"]["alertname"] for a in db["alerts"]) == ["Disk", "Slow"]
    assert db["groupKey"] == '{}/{team="db"}:{cluster="eu"}'
    [pager] = receiver.bodies("/pager")
    assert [a["labels"]["alertname"] for a in pager["alerts"]] == ["Disk"]
    [hook] = receiver.bodies("/hook")
    assert [a["labels"]["alertname"] for a in hook["alerts"]] == ["Lag"]
    assert hook["groupKey"] == "{}:{}"


def test_global_resolve_timeout_resolves_alerts_sent_without_ends_at(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed("global:\n  resolve_timeout: 2m\n" + config(receiver.url).replace("30s", "0s"))
    h.post({"labels": {"alertname": "Down", "instance": "a"}})  # no endsAt, as senders do
    h.tick(0)
    h.tick(60)
    assert [b["status"] for b in receiver.bodies("/hook")] == ["firing"]
    h.tick(240)  # the tick at 5 min: resolved 2 min after it was last sent
    second = receiver.bodies("/hook")[1]
    assert second["status"] == "resolved"
    assert second["alerts"][0]["endsAt"] == "2026-03-01T12:02:00Z"
