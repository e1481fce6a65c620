"""A Tocsin with a Slack app pointed at a local Slack Web API (tests/slack_server.py), incident
channels for SEV1 and SEV2, and a Teams webhook on a loopback receiver. The clock starts on
Sunday 2026-03-01 12:00 UTC."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.config_parts import PAGER_ROUTE
from tests.notify.conftest import Harness, firing
from tests.receiver_server import ReceiverServer
from tests.slack_server import Channel, SlackServer
from tocsin.domain.incidents import Incident
from tocsin.store import incidents as incident_store

CONFIG = (
    PAGER_ROUTE
    + """\
users:
  - {{id: ann, name: Ann Lee, email: ann@example.com, slack_user_id: U0ANN}}
  - {{id: bob, name: Bob Ray, email: bob@example.com}}
  - {{id: cat, name: Cat Poe, email: cat@example.com, admin: true}}
  - {{id: dan, name: Dan Fox, email: dan@elsewhere.example}}
schedules:
  - name: primary
    time_zone: UTC
    layers:
      - start: 2026-02-23T00:00:00
        rotation: {{type: weekly}}
        users: [ann]
escalation_policies:
  - name: platform
    levels:
      - delay: 5m
        targets: [{{schedule: primary}}]
      - delay: 5m
        targets: [{{user: bob}}]
incidents:
  slack:
    channel_for: [SEV1, SEV2]
    invite: [U0MGR]
    announce: C0ANNOUNCE
  {teams}
  {cadence}
paging:
  slack: {{bot_token: xoxb-test, api_url: "{slack}", signing_secret: slack-signing-secret}}
{extra}
"""
)


class Rooms:
    def __init__(self, harness: Harness, slack: SlackServer, teams: ReceiverServer) -> None:
        self.h = harness
        self.slack = slack
        self.teams = teams

    @property
    def service(self) -> Any:
        return self.h.runtime.incidents

    def run(self, seconds: float = 0) -> None:
        self.h.tick(seconds)
        self.h.tick()

    def alert(self, name: str = "HighErrorRate", **labels: str) -> None:
        self.h.post(firing(name, **{"severity": "critical", "service": "api", **labels}))
        self.run()

    def only(self) -> Incident:
        with self.h.runtime.db.read() as conn:
            found = incident_store.listing(conn, limit=10)
        assert len(found) == 1, found
        return found[0]

    def update(self, incident_id: int, actor: str, parts: Any, **kw: Any) -> Incident:
        """Post a stakeholder update; the incident after it."""
        incident, _ = self.h.runtime.comms.post_update(incident_id, actor, parts, **kw)
        return incident  # type: ignore[no-any-return]

    def timeline(self, incident_id: int) -> list[str]:
        return [e.text for e in self.service.view(incident_id).timeline]


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    server = SlackServer()
    for user_id, email in (
        ("U0ANN", "ann@example.com"),
        ("U0BOB", "bob@example.com"),
        ("U0CAT", "cat@example.com"),
        ("U0MGR", "mgr@example.com"),
    ):
        server.add_user(user_id, email)
    server.channels["C0ANNOUNCE"] = Channel("C0ANNOUNCE", "incidents", False, "U0ADMIN")
    yield server
    server.close()


@pytest.fixture
def rooms(routed: Any, slack: SlackServer, receiver: ReceiverServer) -> Any:
    """``rooms(extra_yaml="", teams=False, cadence=False)`` -> a Rooms around a started
    Tocsin; ``cadence``: SEV1 updates every 30m, SEV2 every hour."""

    def make(extra: str = "", *, teams: bool = False, cadence: bool = False) -> Rooms:
        teams_yaml = (
            f'teams: {{webhook_url: "{receiver.url}/teams", severities: [SEV1]}}' if teams else ""
        )
        every = "update_every: {SEV1: 30m, SEV2: 1h}" if cadence else ""
        text = CONFIG.format(slack=slack.url, extra=extra, teams=teams_yaml, cadence=every)
        return Rooms(routed(text), slack, receiver)

    return make
