"""A small history on the web tests' Tocsin (people ann and bob, escalation policy platform
paging the primary schedule), built on the fake clock through the API, for the report's
service, API, CLI, page and gauges. The clock starts on Sunday 2026-03-01 12:00 UTC.

    12:00  DiskFull{service=api, severity=critical} (started 11:58) opens #1 (SEV1): MTTD 2m
    12:10  DiskFull resolves; #1 resolves with it (the engine): MTTR 10m, auto-resolved 12m
    12:15  DiskFull fires again (5 minutes later: a flap) and opens #2 (SEV1): MTTD 0
    12:20  ann acknowledges #2: MTTA 5m
    12:30  ann resolves #2 with a note: MTTR 15m; a human action
    12:40  DiskFull resolves (after #2 was acknowledged: not auto-resolved)
    13:00  HighLatency{service=web, severity=warning} (started 12:55) opens #3 (SEV3): MTTD 5m
    13:20  HighLatency resolves; #3 resolves with it: MTTR 20m, auto-resolved 25m
    13:30  bob declares #4 (SEV2, service api, team platform) by hand: no MTTD
    13:31  bob acknowledges #4: MTTA 1m
    13:40  bob mitigates #4 with a note: MTTM 10m; it stays open
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.notify.conftest import firing, refire, resolved
from tests.receiver_server import ReceiverServer
from tests.web.conftest import (
    CONFIG,
    Web,
    quick_password_hashing,  # noqa: F401 - the fixture, here too
)


class History:
    def __init__(self, w: Web) -> None:
        self.w = w
        self.h = w.harness

    @property
    def auth(self) -> dict[str, str]:
        return self.h.api

    def at(self, hour: int, minute: int) -> None:
        """Move the clock a minute at a time to hour:minute on 1 March (UTC), running what
        is due each minute before it; what falls due at hour:minute itself runs after the
        next post (the group of a posted alert flushes then, at that very minute)."""
        target = self.h.clock.now().replace(hour=hour, minute=minute, second=0, microsecond=0)
        assert target >= self.h.clock.now()
        while (left := target - self.h.clock.now()) > timedelta(0):
            self.h.clock.advance(min(left, timedelta(minutes=1)))
            if self.h.clock.now() < target:
                self.h.tick()

    def post(self, *alerts: dict[str, Any]) -> None:
        self.h.post(*alerts)
        self.h.tick()

    def act(self, incident: int, action: str, **body: str) -> None:
        answer = self.w.client.post(
            f"/api/incidents/{incident}/{action}", json=body, headers=self.auth
        )
        assert answer.status_code in (200, 201), answer.text

    def build(self) -> None:
        disk = {"service": "api", "severity": "critical"}
        latency = {"service": "web", "severity": "warning"}
        self.post({**firing("DiskFull", **disk), "startsAt": "2026-03-01T11:58:00Z"})
        self.at(12, 10)
        self.post(resolved(self.h, "DiskFull", **disk))
        self.at(12, 15)
        self.post(refire(self.h, "DiskFull", **disk))
        self.at(12, 20)
        self.act(2, "acknowledge", user="ann")
        self.at(12, 30)
        self.act(2, "resolve", user="ann", note="freed the disk")
        self.at(12, 40)
        self.post(resolved(self.h, "DiskFull", **disk))
        self.at(13, 0)
        self.post({**firing("HighLatency", **latency), "startsAt": "2026-03-01T12:55:00Z"})
        self.at(13, 20)
        self.post(resolved(self.h, "HighLatency", **latency))
        self.at(13, 30)
        answer = self.w.client.post(
            "/api/incidents",
            json={
                "title": "Checkout slow",
                "severity": "SEV2",
                "service": "api",
                "team": "platform",
                "user": "bob",
            },
            headers=self.auth,
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["id"] == 4
        self.at(13, 31)
        self.act(4, "acknowledge", user="bob")
        self.at(13, 40)
        self.act(4, "mitigate", user="bob", note="shed load")


@pytest.fixture
def history(routed: Any, receiver: ReceiverServer) -> Iterator[History]:
    built = History(Web(routed(CONFIG.format(url=receiver.url, extra=""))))
    built.build()
    yield built


def minutes(n: float) -> float:
    return timedelta(minutes=n).total_seconds()
