"""Burn-rate alerts of built-in SLOs enter the alert pipeline: raised by the engine's
minutely evaluation, routed like any alert (here to a webhook), resolved when the short
window recovers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.receiver_server import ReceiverServer

CONFIG = """route:
  receiver: default
  group_by: [alertname, slo]
  group_wait: 0s
  group_interval: 1m
  routes:
    - matchers: ['slo_severity="page"']
      receiver: pager
receivers:
  - name: default
  - name: pager
    webhook_configs: [{{url: "{url}/pager", send_resolved: true}}]
slos:
  - service: checkout
    name: orders
    objective: 99.9
    window: 30d
    labels: {{team: payments}}
    sli: {{builtin: {{}}}}
    alerting:
      name: CheckoutOrdersBurn
      annotations: {{runbook_url: "https://runbooks.example/orders"}}
      page_alert: {{labels: {{severity: page}}}}
"""


@pytest.fixture
def h(routed: Any, receiver: ReceiverServer) -> Any:
    return routed(CONFIG.format(url=receiver.url))


def post(h: Any, good: int, total: int, minutes_ago: int) -> None:
    at = (h.clock.now() - timedelta(minutes=minutes_ago)).isoformat()
    answer = h.client.post(
        "/api/slos/checkout-orders/events",
        json={"good": good, "total": total, "at": at},
        headers=h.api,
    )
    assert answer.status_code == 201, answer.text


def alerts(h: Any) -> list[dict[str, Any]]:
    answer = h.client.get("/api/v2/alerts", headers={"Authorization": f"Bearer {h.token}"})
    return [a for a in answer.json() if a["labels"].get("slo") == "checkout-orders"]


def test_a_fast_burn_pages_through_the_pipeline_and_resolves(
    h: Any, receiver: ReceiverServer
) -> None:
    for minute in range(1, 61):  # an hour of 2 % errors: burning at 20x
        post(h, 980, 1000, minute)
    h.tick()
    h.tick()
    firing = sorted(alerts(h), key=lambda a: a["labels"]["slo_severity"])
    # The page and, as 2 % errors are above 3x over 2h and 1d too, the ticket.
    assert [a["labels"]["slo_severity"] for a in firing] == ["page", "ticket"]
    labels = firing[0]["labels"]
    assert labels == {
        "alertname": "CheckoutOrdersBurn",
        "slo": "checkout-orders",
        "service": "checkout",
        "severity": "page",
        "slo_severity": "page",
        "window": "30d",
        "team": "payments",
    }
    assert firing[0]["annotations"]["runbook_url"] == "https://runbooks.example/orders"
    assert firing[0]["annotations"]["summary"].startswith(
        "checkout orders: the error budget burns 20.0x too fast (1h; 20.0x over 5m)"
    )
    sent = receiver.bodies("/pager")
    assert sent and sent[-1]["status"] == "firing"
    assert sent[-1]["alerts"][0]["labels"]["slo"] == "checkout-orders"
    # The errors stop: good traffic only; the short windows (5m, 30m) recover first.
    for _ in range(35):
        h.tick(60)
        post(h, 1000, 1000, 0)
    h.tick(60)
    pages = [a for a in alerts(h) if a["labels"]["slo_severity"] == "page"]
    assert pages == []  # resolved (the ticket's longer windows still remember)
    assert receiver.bodies("/pager")[-1]["status"] == "resolved"


def test_a_slow_burn_is_a_ticket_not_a_page(h: Any, receiver: ReceiverServer) -> None:
    for minute in range(1, 121):  # two hours at 0.5 %: 5x, above the 1d/2h ticket's 3x
        post(h, 995, 1000, minute)
    h.tick()
    h.tick()
    severities = [a["labels"]["slo_severity"] for a in alerts(h)]
    assert severities == ["ticket"]
    assert alerts(h)[0]["labels"]["severity"] == "warning"
    assert receiver.bodies("/pager") == []


def test_no_events_no_alert(h: Any) -> None:
    h.tick(600)
    assert alerts(h) == []
