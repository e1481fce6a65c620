"""A Tocsin that pages: people with push (ntfy), SMS and voice (Twilio), Slack and email, an
escalation policy, and one loopback HTTP server standing in for Twilio, ntfy and Slack that
records every request. The tests' clock starts on Sunday 2026-03-01 12:00 UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.config_parts import PAGER_ROUTE, SMTP_GLOBAL
from tests.notify.conftest import Harness, firing
from tests.receiver_server import ReceiverServer, Request
from tests.smtp_server import Recorder, smtp_server
from tocsin.domain.incidents import Incident
from tocsin.services.incidents import IncidentView
from tocsin.store import incidents as incident_store

# primary: ann all day; level 2 pages bob directly; #C0OPS hears of level 1.
CONFIG = (
    SMTP_GLOBAL
    + PAGER_ROUTE
    + """\
users:
  - id: ann
    email: ann@example.com
    phone: "+15550000001"
    ntfy_topic: ann-pages
    notification_rules:
      high: [{{method: push, delay: 0m}}, {{method: sms, delay: 2m}}]
      low: [{{method: email}}]
  - id: bob
    phone: "+15550000002"
    ntfy_topic: bob-pages
    slack_user_id: U0BOB
    notification_rules:
      high: [{{method: push}}, {{method: voice, delay: 3m}}]
  - {{id: cat, email: cat@example.com, admin: true}}
teams:
  - {{name: platform, members: [ann, bob]}}
schedules:
  - name: primary
    time_zone: UTC
    layers:
      - start: 2026-02-23T00:00:00
        rotation: {{type: weekly}}
        users: [ann]
escalation_policies:
  - name: platform
    team: platform
    levels:
      - delay: 5m
        targets: [{{schedule: primary}}, {{slack_channel: C0OPS}}]
      - delay: 5m
        targets: [{{user: bob}}]
paging:
  twilio:
    account_sid: AC0123
    auth_token: twilio-secret
    from: "+15559990000"
    base_url: {url}/twilio
  slack: {{bot_token: xoxb-test, api_url: {url}/slack/, signing_secret: slack-signing-secret}}
  ntfy: {{base_url: {url}/ntfy, timeout: 1s}}
{extra}
"""
)

TWILIO_SMS = "/twilio/2010-04-01/Accounts/AC0123/Messages.json"
TWILIO_CALL = "/twilio/2010-04-01/Accounts/AC0123/Calls.json"


class Pager:
    def __init__(self, harness: Harness, server: ReceiverServer, mail: Recorder) -> None:
        self.h = harness
        self.server = server
        self.mail = mail
        self.answer_like_the_vendors()

    def answer_like_the_vendors(self) -> None:
        for path in (TWILIO_SMS, TWILIO_CALL):
            self.server.answer(path, 201, {"sid": "SM0001", "status": "queued"})
        self.server.answer("/ntfy/", 200, {"id": "n1", "event": "message"})
        self.server.answer(
            "/slack/chat.postMessage", 200, {"ok": True, "channel": "D0BOB", "ts": "1.000"}
        )

    @property
    def service(self) -> Any:
        return self.h.runtime.incidents

    def run(self, seconds: float = 0) -> None:
        """Move the clock; run what is due, and what that made due."""
        self.h.tick(seconds)
        self.h.tick()

    def alert(self, name: str = "HighErrorRate", **labels: str) -> None:
        self.h.post(firing(name, **{"severity": "critical", "service": "api", **labels}))
        self.run()

    def sent(self) -> list[tuple[str, str]]:
        """(method, who) of every request the vendors got, in order."""
        out: list[tuple[str, str]] = []
        for r in self.server.requests:
            if r.path == "/ntfy/":
                out.append(("push", r.json()["topic"]))
            elif r.path == TWILIO_SMS:
                out.append(("sms", _form(r)["To"]))
            elif r.path == TWILIO_CALL:
                out.append(("voice", _form(r)["To"]))
            elif r.path.startswith("/slack/"):
                out.append(("slack", _form_or_json(r).get("channel", "")))
        return out

    def incidents(self) -> list[Incident]:
        with self.h.runtime.db.read() as conn:
            return list(reversed(incident_store.listing(conn, limit=1000)))

    def only(self) -> Incident:
        found = self.incidents()
        assert len(found) == 1, found
        return found[0]

    def view(self, incident_id: int) -> IncidentView:
        return self.service.view(incident_id)

    def kinds(self, incident_id: int) -> list[str]:
        return [e.kind for e in self.view(incident_id).timeline]

    def now(self) -> datetime:
        return self.h.clock.now()


def _form(r: Request) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(r.body.decode()))


def _form_or_json(r: Request) -> dict[str, Any]:
    try:
        value = r.json()
        return value if isinstance(value, dict) else {}
    except ValueError:
        return _form(r)


@pytest.fixture
def pager(routed: Any, receiver: ReceiverServer) -> Iterator[Any]:
    """``pager(extra_yaml="", config=CONFIG)`` -> a Pager around a started Tocsin."""
    with smtp_server() as (mail, port):

        def make(extra: str = "", config: str = CONFIG) -> Pager:
            text = config.format(smtp=port, url=receiver.url, extra=extra)
            return Pager(routed(text), receiver, mail)

        yield make
