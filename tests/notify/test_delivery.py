"""Delivery: retries with backoff, failures on record, no receiver delays another, and a
restart loses nothing and sends nothing twice."""

from __future__ import annotations

import time
from typing import Any

from tests.live_server import free_port
from tests.notify.conftest import firing
from tests.receiver_server import ReceiverServer
from tocsin.store import deliveries as delivery_store


def two_receivers(url: str, other: str, timeout: str = "") -> str:
    return f"""
route:
  receiver: both
  group_by: [alertname]
  group_wait: 0s
  group_interval: 10m
receivers:
  - name: both
    webhook_configs:
      - url: {other}
        {timeout}
      - url: {url}/fast
"""


def test_5xx_is_retried_with_backoff_and_every_attempt_recorded(
    routed: Any, receiver: ReceiverServer
) -> None:
    receiver.answer_once("/slow", (503, "busy"), (500, "oops"))
    h = routed(two_receivers(receiver.url, f"{receiver.url}/slow"))
    h.post(firing("Down"))
    h.tick(0)
    assert len(receiver.bodies("/fast")) == 1
    assert len(receiver.bodies("/slow")) == 1
    [failing] = h.deliveries(receiver="both", status="pending")
    assert failing.integration == "webhook[0]" and "HTTP 503" in (failing.last_error or "")
    h.tick(0.7)  # backoff is 1 s +- 20 %: not yet
    assert len(receiver.bodies("/slow")) == 1
    h.tick(0.5)
    assert len(receiver.bodies("/slow")) == 2  # 500 again: next wait is 2 s +- 20 %
    h.tick(1.5)
    assert len(receiver.bodies("/slow")) == 2
    h.tick(1)
    assert len(receiver.bodies("/slow")) == 3  # 200 now
    sent = [d for d in h.deliveries() if d.integration == "webhook[0]"]
    assert [d.status for d in sent] == ["sent"]
    with h.runtime.db.read() as conn:
        attempts = delivery_store.attempts_of(conn, sent[0].id)
    assert [(a.ok, a.status_code) for a in attempts] == [(False, 503), (False, 500), (True, 200)]
    assert attempts[0].error == "HTTP 503: busy"
    h.tick(600)
    assert len(receiver.bodies("/slow")) == 3  # logged as sent: no duplicate at the tick


def test_4xx_is_not_retried_but_the_next_tick_tries_again(
    routed: Any, receiver: ReceiverServer
) -> None:
    receiver.answer_once("/bad", (400, "bad request"))
    h = routed(two_receivers(receiver.url, f"{receiver.url}/bad"))
    h.post(firing("Down"))
    h.tick(0)
    [failed] = [d for d in h.deliveries() if d.integration == "webhook[0]"]
    assert failed.status == "failed" and failed.last_error == "HTTP 400: bad request"
    h.tick(60)
    assert len(receiver.bodies("/bad")) == 1
    h.tick(540)  # the next group tick: never logged as sent, so it is sent again
    assert len(receiver.bodies("/bad")) == 2
    assert len(receiver.bodies("/fast")) == 1


def test_refused_connection_is_retried(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(two_receivers(receiver.url, f"http://127.0.0.1:{free_port()}/nobody"))
    h.post(firing("Down"))
    h.tick(0)
    [pending] = h.deliveries(status="pending")
    assert "ConnectError" in (pending.last_error or "")
    assert pending.attempts == 1
    assert len(receiver.bodies("/fast")) == 1


def test_a_hanging_receiver_does_not_delay_another(routed: Any, receiver: ReceiverServer) -> None:
    receiver.delays["/hang"] = 1.5
    h = routed(two_receivers(receiver.url, f"{receiver.url}/hang", timeout="timeout: 1s"))
    h.post(firing("Down"))
    started = time.monotonic()
    h.tick(0)
    [fast] = [r for r in receiver.received if r.path == "/fast"]
    assert fast.at - started < 0.9  # did not wait for the hanging one
    [hung] = h.deliveries(status="pending")
    assert "Timeout" in (hung.last_error or "")


def test_restart_before_the_tick_loses_nothing(routed: Any, receiver: ReceiverServer) -> None:
    text = two_receivers(receiver.url, f"{receiver.url}/other").replace("0s", "30s", 1)
    h = routed(text)
    h.post(firing("Down"))
    h.restart()
    h.tick(29)
    assert receiver.received == []
    h.tick(1)
    assert len(receiver.bodies("/fast")) == 1 and len(receiver.bodies("/other")) == 1


def test_restart_after_sending_sends_nothing_twice(routed: Any, receiver: ReceiverServer) -> None:
    receiver.answer_once("/other", (502, "down"))
    h = routed(two_receivers(receiver.url, f"{receiver.url}/other"))
    h.post(firing("Down"))
    h.tick(0)
    h.restart()
    h.tick(5)  # the pending retry survives the restart
    h.tick(600)
    h.tick(600)
    assert len(receiver.bodies("/fast")) == 1
    assert len(receiver.bodies("/other")) == 2  # the failure, then its retry; no more


def test_reload_moves_alerts_to_new_routes(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(two_receivers(receiver.url, f"{receiver.url}/other"))
    h.post(firing("Down", team="db"))
    h.tick(0)
    h.reload(
        f"""
route:
  receiver: both
  group_wait: 0s
  routes:
    - matchers: ['team="db"']
      receiver: dba
receivers:
  - name: both
    webhook_configs: [{{url: "{receiver.url}/fast"}}]
  - name: dba
    webhook_configs: [{{url: "{receiver.url}/dba"}}]
"""
    )
    h.tick(0)
    [dba] = receiver.bodies("/dba")
    assert dba["groupKey"] == '{}/{team="db"}:{}'
    h.tick(600)
    assert len(receiver.bodies("/fast")) == 1  # the old route's group ended


def test_an_unsupported_receiver_type_is_recorded_as_failed(
    routed: Any, receiver: ReceiverServer
) -> None:
    text = two_receivers(receiver.url, f"{receiver.url}/other") + (
        "    pagerduty_configs:\n      - routing_key: abc\n"
    )
    h = routed(text)
    assert any("pagerduty_configs" in w for w in h.runtime.routing.warnings)
    h.post(firing("Down"))
    h.tick(0)
    [failed] = h.deliveries(status="failed")
    assert failed.integration == "pagerduty[0]"
    assert failed.last_error == "receiver type pagerduty_configs is not supported by Tocsin yet"
    assert len(receiver.bodies("/fast")) == 1  # the others are sent as usual
