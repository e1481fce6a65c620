"""A Tocsin that runs drills: people with email through a real SMTP server on loopback (which
refuses cat's address: "Recipient address rejected"), a two-level policy and one that
reaches nobody, tabletop scenarios from examples/tabletop, and a web client that signs in
like a browser. The clock starts on Sunday 2026-03-01 12:00 UTC.

``platform``: level 1 pages ann and cat (5 minutes), level 2 pages bob (5 minutes).
``gappy``: level 1 is an empty schedule, level 2 is dan (no contact method)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.config_parts import SMTP_GLOBAL
from tests.notify.conftest import Harness
from tests.smtp_server import Recorder, smtp_server
from tests.web.conftest import Web
from tests.web.conftest import quick_password_hashing as quick_password_hashing  # autouse
from tocsin.domain.incidents import Incident
from tocsin.store.messages import Message

EXAMPLES = Path(__file__).parents[2] / "examples" / "tabletop"

CONFIG = (
    SMTP_GLOBAL
    + """\
route:
  receiver: nowhere
receivers:
  - name: nowhere
users:
  - {{id: ann, name: Ann Example, email: ann@example.com, admin: true}}
  - {{id: bob, email: bob@example.com}}
  - {{id: cat, email: cat@example.com}}
  - {{id: dan}}
teams:
  - {{name: platform, members: [ann, bob]}}
schedules:
  - name: empty
    time_zone: UTC
    layers:
      - start: 2027-01-04T00:00:00
        rotation: {{type: weekly}}
        users: [ann]
escalation_policies:
  - name: platform
    team: platform
    levels:
      - delay: 5m
        targets: [{{user: ann}}, {{user: cat}}]
      - delay: 5m
        targets: [{{user: bob}}]
  - name: gappy
    levels:
      - delay: 5m
        targets: [{{schedule: empty}}]
      - delay: 5m
        targets: [{{user: dan}}]
{extra}
"""
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


class Drills:
    def __init__(self, harness: Harness, mail: Recorder) -> None:
        self.h = harness
        self.mail = mail
        self.web = Web(harness)

    @property
    def runtime(self) -> Any:
        return self.h.runtime

    def run(self, policy: str = "platform", **kw: Any) -> Incident:
        incident: Incident = self.runtime.drills.run(policy, "ann", **kw)
        self.settle()
        return incident

    def settle(self) -> None:
        """Run what is due, and what that made due (page steps, then their sends)."""
        for _ in range(4):
            self.h.tick()

    def later(self, **delta: float) -> None:
        self.h.clock.advance(timedelta(**delta))
        self.settle()

    def at(self, t: datetime) -> None:
        self.h.clock.advance(t - self.h.clock.now())
        self.settle()

    def messages(self, incident_id: int | None = None) -> list[Message]:
        found = self.h.messages()
        return [m for m in found if incident_id is None or m.incident_id == incident_id]

    def mails_to(self, address: str) -> list[EmailMessage]:
        return self.mail.sent_to(address)

    def api(self, method: str, path: str, **kw: Any) -> Any:
        return self.h.client.request(method, path, headers=self.h.api, **kw)


@pytest.fixture
def drills(routed: Any) -> Iterator[Any]:
    """``drills(extra_yaml="")`` -> a Drills around a started Tocsin."""
    recorder = Recorder(
        {"cat@example.com": "550 5.1.1 <cat@example.com>: Recipient address rejected"}
    )
    with smtp_server(recorder) as (mail, port):

        def make(extra: str = "") -> Drills:
            return Drills(routed(CONFIG.format(smtp=port, extra=extra)), mail)

        yield make
