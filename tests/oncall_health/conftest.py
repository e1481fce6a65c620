"""A Tocsin that pages ann and bob through an escalation policy over a weekly rotation, and
a scenario of four incidents played on the fake clock (it starts on Sunday 1 March 2026,
12:00 UTC).

primary (Europe/Berlin, UTC+1 in March 2026) hands over on Mondays at 09:00 Berlin: ann's
week ends on Monday 2 March at 08:00Z and bob's begins. ann lives in Tokyo (UTC+9); bob
has no time zone of his own, so the schedule's (Berlin) is his.

The scenario (all times UTC):

* Sun 1 Mar 12:00, incident 1 (SEV1) is not acknowledged: ann at once (Tokyo Sun 21:00),
  bob at 12:05 (level 2; Berlin Sun 13:05, off shift), then the policy's second pass pages
  ann again at 12:10 and bob at 12:15; resolved at 12:16.
* Sun 1 Mar 19:00, incident 2 (SEV1): ann (Tokyo Mon 04:00, asleep); acknowledged.
* Mon 2 Mar 02:00, incident 3 (SEV3, low urgency): ann (Tokyo Mon 11:00, at work).
* Mon 2 Mar 10:00, incident 4 (SEV1): bob, on call now (Berlin Mon 11:00, at work).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.notify.conftest import Harness
from tests.receiver_server import ReceiverServer
from tocsin.store import messages as message_store

CONFIG = """
route:
  receiver: pager
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: pager
    escalation_policy: platform
users:
  - {{id: ann, name: Ann Example, email: ann@example.com, webhook_url: "{url}/ann",
      time_zone: Asia/Tokyo, admin: true}}
  - {{id: bob, name: Bob Example, email: bob@example.com, webhook_url: "{url}/bob"}}
  - {{id: cat, email: cat@example.com, time_zone: America/New_York}}
schedules:
  - name: primary
    time_zone: Europe/Berlin
    layers:
      - start: 2026-02-23T09:00:00
        rotation: {{type: weekly, handoff: "09:00"}}
        users: [ann, bob]
  - name: quiet
    time_zone: UTC
    layers:
      - start: 2026-02-23T00:00:00
        rotation: {{type: weekly}}
        users: [cat]
escalation_policies:
  - name: platform
    repeat: 1
    levels:
      - delay: 5m
        targets: [{{schedule: primary}}]
      - delay: 5m
        targets: [{{user: bob}}]
reports:
  page_budget: 2
{extra}
"""

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
END = START + timedelta(days=2)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc, arg-type]


class Scenario:
    def __init__(self, harness: Harness) -> None:
        self.h = harness
        self.runtime = harness.runtime

    def run(self, seconds: float = 0) -> None:
        self.h.tick(seconds)
        self.h.tick()

    def to(self, t: datetime) -> None:
        self.run((t - self.h.clock.now()).total_seconds())

    def fire(self, name: str, severity: str = "critical") -> None:
        self.h.post(
            {
                "labels": {"alertname": name, "severity": severity},
                "startsAt": self.h.clock.now().isoformat(),
                "endsAt": (self.h.clock.now() + timedelta(days=1)).isoformat(),
            }
        )
        self.run()

    def resolve(self, name: str, severity: str = "critical") -> None:
        self.h.post(
            {
                "labels": {"alertname": name, "severity": severity},
                "endsAt": self.h.clock.now().isoformat(),
            }
        )
        self.run()

    def pages(self) -> list[message_store.Message]:
        with self.runtime.db.read() as conn:
            return [m for m in message_store.recent(conn, limit=1000) if m.kind == "page"]

    def play(self) -> Scenario:
        incidents = self.runtime.incidents
        self.fire("DiskFull")  # incident 1: nobody acknowledges
        self.run(5 * 60)  # level 2: bob
        self.run(5 * 60)  # second pass: ann again
        self.run(5 * 60)  # and bob again
        self.run(60)
        self.resolve("DiskFull")
        self.to(utc(2026, 3, 1, 19))
        self.fire("HighLatency")  # incident 2
        incidents.acknowledge(2, "ann")
        self.to(utc(2026, 3, 2, 2))
        self.fire("CertExpiry", "warning")  # incident 3
        incidents.acknowledge(3, "ann")
        self.to(utc(2026, 3, 2, 10))
        self.fire("ErrorBudget")  # incident 4
        incidents.acknowledge(4, "bob")
        self.to(END)
        return self


@pytest.fixture
def scenario(routed: Any, receiver: ReceiverServer) -> Iterator[Any]:
    """``scenario(extra="", play=True)`` -> the Scenario, played to Tuesday 3 March 12:00
    UTC (or not played: the clock at its start, nobody paged)."""

    def make(extra: str = "", play: bool = True) -> Scenario:
        made = Scenario(routed(CONFIG.format(url=receiver.url, extra=extra)))
        return made.play() if play else made

    yield make
