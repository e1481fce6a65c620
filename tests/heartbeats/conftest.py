"""A routed Tocsin with three heartbeats and a real webhook receiver on loopback. The clock
starts on Sunday 2026-03-01 12:00 UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.notify.conftest import Harness
from tests.receiver_server import ReceiverServer
from tocsin.api.app import create_app
from tocsin.domain.heartbeats import HeartbeatStatus
from tocsin.store import heartbeats as heartbeat_store

ROUTE = """\
route:
  receiver: hook
  group_by: [alertname, heartbeat]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
  routes:
    - matchers: ['alertname="Watchdog"']
      receiver: blackhole
receivers:
  - name: hook
    webhook_configs: [{{url: "{url}/hook"}}]
  - name: blackhole
"""

#: backup: every hour, 10m grace; cron: every 5m, default grace (1m); prometheus: fed by a
#: Watchdog alert.
HEARTBEATS = """\
heartbeats:
  - name: backup
    interval: 1h
    grace: 10m
    labels: {{team: storage}}
    annotations: {{runbook_url: https://runbooks.example/backup}}
  - name: cron
    interval: 5m
  - name: prometheus
    interval: 2m
    grace: 1m
    alertname: PrometheusWatchdogMissing
    labels: {{severity: warning}}
    watchdog: ['alertname="Watchdog"', 'prometheus="prod"']
"""

CONFIG = ROUTE + HEARTBEATS


class Beats:
    """The harness, with heartbeat words."""

    def __init__(self, harness: Harness, receiver: ReceiverServer) -> None:
        self.h = harness
        self.receiver = receiver

    @property
    def client(self) -> TestClient:
        return self.h.client

    def token(self, name: str, *, rotate: bool = False) -> str:
        return self.h.runtime.heartbeats.token(name, rotate=rotate)

    def ping(self, name: str, *, path: str = "ping", **kw: Any) -> Any:
        if "headers" in kw:
            headers = kw.pop("headers")
        else:
            headers = {"Authorization": f"Bearer {self.token(name)}"}
        method = kw.pop("method", "POST")
        return self.client.request(method, f"/api/heartbeats/{name}/{path}", headers=headers, **kw)

    def status(self, name: str) -> HeartbeatStatus:
        with self.h.runtime.db.read() as conn:
            found = heartbeat_store.by_name(conn, name)
        assert found is not None
        return found

    def tick(self, seconds: float = 0) -> None:
        self.h.tick(seconds)
        self.h.tick()

    def alerts(self, name: str) -> list[dict[str, Any]]:
        """Open alerts of heartbeat ``name`` (GET /api/v2/alerts)."""
        response = self.client.get(
            "/api/v2/alerts",
            params={"filter": f'heartbeat="{name}"'},
            headers={"Authorization": f"Bearer {self.h.token}"},
        )
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    def sent(self, heartbeat: str = "backup") -> list[tuple[str, str, str]]:
        """(status, heartbeat, alertname) of every alert of ``heartbeat`` the receiver got,
        in order."""
        out = []
        for body in self.receiver.bodies("/hook"):
            for alert in body["alerts"]:
                labels = alert["labels"]
                if labels.get("heartbeat") != heartbeat:
                    continue
                out.append((alert["status"], labels.get("heartbeat", ""), labels["alertname"]))
        return out

    def restart_after(self, seconds: float) -> None:
        """Stop Tocsin, let ``seconds`` pass with it down, start it again."""
        h = self.h
        h.client.close()
        h.runtime.stop()
        h.clock.advance(timedelta(seconds=seconds))
        h.runtime = h._build()
        h.client = TestClient(create_app(h.runtime, manage_runtime=False))

    def reload(self, text: str) -> None:
        self.h.reload(text.format(url=self.receiver.url))


@pytest.fixture
def beats(routed: Callable[[str], Harness], receiver: ReceiverServer) -> Beats:
    return Beats(routed(CONFIG.format(url=receiver.url)), receiver)
