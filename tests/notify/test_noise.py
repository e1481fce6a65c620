"""Tocsin's noise controls end to end: flap detection, minimum group size or firing time,
and telling receivers an alert is over when a silence mutes it."""

from __future__ import annotations

from typing import Any

from tests.notify.conftest import firing, refire, resolved
from tests.notify.test_muting import silence
from tests.receiver_server import ReceiverServer


def config(url: str, route_extra: str) -> str:
    return f"""
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
{route_extra}
receivers:
  - name: hook
    webhook_configs: [{{url: "{url}/hook"}}]
"""


def states(receiver: ReceiverServer) -> list[list[tuple[str, str]]]:
    return [
        [(a["labels"].get("i", ""), a["status"]) for a in body["alerts"]]
        for body in receiver.bodies("/hook")
    ]


def test_flapping_alert_is_held_until_stable(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(config(receiver.url, "  flap_detection: {changes: 2, window: 10m, quiet: 5m}"))
    h.post(firing("Flappy", i="a"))  # change 1
    h.tick(0)
    h.tick(60)
    h.post(resolved(h, "Flappy", i="a"))  # change 2
    h.tick(0)
    assert states(receiver) == [[("a", "firing")]]
    h.tick(60)  # the tick at 2 min reports the resolve: two changes are allowed
    assert states(receiver)[-1] == [("a", "resolved")]
    for _ in range(2):  # changes 3 and 4: flapping now
        h.tick(30)
        h.post(refire(h, "Flappy", i="a"))
        h.tick(30)
        h.post(resolved(h, "Flappy", i="a"))
    h.tick(30)
    h.post(refire(h, "Flappy", i="a"))  # the last change, at 4.5 min
    for _ in range(4):
        h.tick(60)
    assert len(states(receiver)) == 2  # held while it flaps (to 8.5 min)
    h.tick(60)  # 9.5 min: stable for the five-minute quiet period
    assert states(receiver)[-1] == [("a", "firing")]
    assert len(states(receiver)) == 3


def test_min_alerts_holds_the_group_until_it_is_big_enough(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed(config(receiver.url, "  min_alerts: 3"))
    h.post(firing("Disk", i="a"), firing("Disk", i="b"))
    h.tick(0)
    h.tick(60)
    assert states(receiver) == []
    h.post(firing("Disk", i="c"))
    h.tick(60)
    assert states(receiver) == [[("a", "firing"), ("b", "firing"), ("c", "firing")]]
    h.post(resolved(h, "Disk", i="a"))  # below three again: still reported
    h.tick(60)
    assert states(receiver)[-1][0] == ("a", "resolved")


def test_min_firing_for_notifies_once_the_group_fired_long_enough(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed(config(receiver.url, "  min_firing_for: 90s"))
    h.post(firing("Lag"))
    h.tick(0)
    h.tick(60)
    assert states(receiver) == []
    h.tick(30)  # exactly 90 s: not waiting for the tick at 2 min
    assert states(receiver) == [[("", "firing")]]
    h.post(refire(h, "Brief", i="x"))  # starts now
    h.tick(30)
    h.post(resolved(h, "Brief", i="x"))  # resolved before 90 s: never notified
    h.tick(60)
    h.tick(60)
    assert all(b["groupLabels"]["alertname"] == "Lag" for b in receiver.bodies("/hook"))


def test_resolved_on_silence(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(config(receiver.url, "  send_resolved_on_silence: true"))
    h.post(firing("Down", i="a"), firing("Down", i="b"))
    h.tick(0)
    silence(h, 3, i="a")
    h.tick(60)
    assert states(receiver)[-1] == [("a", "resolved"), ("b", "firing")]
    assert receiver.bodies("/hook")[-1]["alerts"][0]["endsAt"] != "0001-01-01T00:00:00Z"
    h.tick(60)
    assert len(states(receiver)) == 2
    h.tick(60)  # the silence ended at 3 min: a fires again for the receiver
    assert states(receiver)[-1] == [("a", "firing"), ("b", "firing")]


def test_without_the_option_a_silenced_alert_just_drops_out(
    routed: Any, receiver: ReceiverServer
) -> None:
    h = routed(config(receiver.url, ""))
    h.post(firing("Down", i="a"), firing("Down", i="b"))
    h.tick(0)
    silence(h, 30, i="a")
    h.tick(60)
    h.tick(60)
    assert len(states(receiver)) == 1  # Alertmanager's behaviour: nothing is sent


def test_a_flapping_alert_is_marked_in_the_api(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(config(receiver.url, "  flap_detection: {changes: 1, window: 10m, quiet: 5m}"))
    auth = {"Authorization": f"Bearer {h.token}"}
    h.post(firing("Flappy", i="a"), firing("Calm", i="b"))
    h.tick(60)
    assert all("flapping" not in a for a in h.client.get("/api/v2/alerts", headers=auth).json())
    h.post(resolved(h, "Flappy", i="a"))
    h.tick(60)
    h.post(refire(h, "Flappy", i="a"))
    h.tick(1)
    shown = {
        a["labels"]["alertname"]: a for a in h.client.get("/api/v2/alerts", headers=auth).json()
    }
    assert shown["Flappy"]["flapping"] is True
    assert "flapping" not in shown["Calm"]
    h.tick(5 * 60)
    shown = {
        a["labels"]["alertname"]: a for a in h.client.get("/api/v2/alerts", headers=auth).json()
    }
    assert "flapping" not in shown["Flappy"]
