"""A Tocsin with schedules, people with email addresses, a real SMTP server and a webhook
receiver on loopback. The tests' clock starts on Sunday 2026-03-01 12:00 UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest

from tests.config_parts import SMTP_GLOBAL
from tests.notify.conftest import Harness
from tests.receiver_server import ReceiverServer
from tests.smtp_server import Recorder, smtp_server
from tocsin.store.messages import Message

# primary: ann and bob alternate daily at 09:00 UTC (ann's day on Sunday 1 March).
# daytime: cat from 09:00 to 17:00 only, so nobody is on call at night (a gap).
CONFIG = (
    SMTP_GLOBAL
    + """\
route:
  receiver: hook
  group_by: [alertname, schedule]
  group_wait: 0s
  group_interval: 10m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs: [{{url: "{url}/hook"}}]
users:
  - {{id: ann, name: Ann Example, email: ann@example.com, time_zone: Europe/Berlin}}
  - {{id: bob, email: bob@example.com}}
  - {{id: cat, email: cat@example.com}}
  - {{id: dan}}
schedules:
  - name: primary
    time_zone: UTC
    layers:
      - start: 2026-02-23T09:00:00
        rotation: {{type: daily, handoff: "09:00"}}
        users: [ann, bob]
  - name: daytime
    time_zone: UTC
    layers:
      - start: 2026-02-23T09:00:00
        rotation: {{type: weekly, handoff: "09:00", handoff_weekday: 1}}
        users: [cat]
        restrictions: [{{type: daily, start: "09:00", duration: 8h}}]
on_call:
  shift_reminders: [1d, 1h]
  check_interval: 5m
{extra}
"""
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


class OnCall:
    def __init__(self, harness: Harness, mail: Recorder, receiver: ReceiverServer) -> None:
        self.h = harness
        self.mail = mail
        self.receiver = receiver

    def run(self, seconds: float = 0) -> None:
        """Move the clock; run what is due, and what that made due."""
        self.h.tick(seconds)
        self.h.tick()

    def until(self, t: datetime, step: float = 300) -> None:
        """Move the clock to ``t`` in steps, running the engine at each."""
        while self.h.clock.now() < t:
            self.run(min(step, (t - self.h.clock.now()).total_seconds()))

    def messages(self, kind: str | None = None) -> list[Message]:
        return self.h.messages(kind)

    def mails_to(self, address: str) -> list[EmailMessage]:
        return self.mail.sent_to(address)


@pytest.fixture
def oncall(routed: Any, receiver: ReceiverServer) -> Iterator[Any]:
    """``oncall(extra_yaml="")`` -> an OnCall around a started Tocsin."""
    with smtp_server() as (mail, port):

        def make(extra: str = "", config: str = CONFIG) -> OnCall:
            text = config.format(smtp=port, url=receiver.url, extra=extra)
            return OnCall(routed(text), mail, receiver)

        yield make
