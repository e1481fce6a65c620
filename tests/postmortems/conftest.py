"""A routed Tocsin (the web tests' people, schedule and escalation policy; the clock starts
on Sunday 2026-03-01 12:00 UTC) with a postmortem policy and one SLO, and helpers to drive
incidents through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.receiver_server import ReceiverServer
from tests.web.conftest import CONFIG as WEB_CONFIG
from tests.web.conftest import Web
from tests.web.conftest import quick_password_hashing as quick_password_hashing  # autouse

EXTRA = """postmortems:
  required_for: [SEV1, SEV2]
  due_in: 2
  time_zone: Europe/Berlin
slos:
  - service: checkout
    name: orders
    objective: 99.9
    window: 30d
    sli: {builtin: {}}
    # Its burn alerts would open incidents of their own: not wanted here.
    alerting: {page_alert: {disable: true}, ticket_alert: {disable: true}}
"""


@pytest.fixture
def w(routed: Any, receiver: ReceiverServer) -> Web:
    return Web(routed(WEB_CONFIG.format(url=receiver.url, extra=EXTRA)))


def auth(w: Web) -> dict[str, str]:
    return w.harness.api


def api(w: Web, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    answer = w.client.request(method, path, json=body, headers=auth(w))
    assert answer.status_code == status, answer.text
    return answer.json()


def slo_events(w: Web, slo: str, good: int, total: int, at: datetime) -> None:
    api(
        w,
        "POST",
        f"/api/slos/{slo}/events",
        {"good": good, "total": total, "at": at.isoformat()},
        201,
    )


def declare(w: Web, title: str, severity: str, **extra: Any) -> int:
    made = api(w, "POST", "/api/incidents", {"title": title, "severity": severity, **extra}, 201)
    return int(made["id"])


def timeline(w: Web, incident_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api(w, "GET", f"/api/incidents/{incident_id}")["timeline"]
    return found
