"""A Tocsin with people, a schedule, an escalation policy and alerts, and a browser-like
client signed in through the real sign-in form (cookies, CSRF and all). The clock starts
on Sunday 2026-03-01 12:00 UTC."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.notify.conftest import Harness, firing
from tests.receiver_server import ReceiverServer

PASSWORD = "correct horse battery"

CONFIG = """
route:
  receiver: pager
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
  routes:
    - matchers: ['severity="info"']
      receiver: chat
receivers:
  - name: pager
    escalation_policy: platform
  - name: chat
    webhook_configs: [{{url: "{url}/hook"}}]
users:
  - {{id: ann, name: Ann Example, email: ann@example.com, webhook_url: "{url}/ann", admin: true,
      time_zone: Europe/Berlin}}
  - {{id: bob, name: Bob Example, email: bob@example.com, webhook_url: "{url}/bob"}}
  - {{id: cat, email: cat@example.com}}
teams:
  - {{name: platform, members: [ann, bob]}}
schedules:
  - name: primary
    time_zone: Europe/Berlin
    layers:
      - name: weekly
        start: 2026-02-23T09:00:00
        rotation: {{type: weekly}}
        users: [ann, bob]
      - name: nights
        start: 2026-02-23T20:00:00
        rotation: {{type: daily}}
        restrictions: [{{type: daily, start: "20:00", duration: 3h}}]
        users: [cat]
escalation_policies:
  - name: platform
    team: platform
    levels:
      - delay: 5m
        targets: [{{schedule: primary}}]
      - delay: 5m
        targets: [{{user: bob}}]
{extra}
"""


class Web:
    """The harness plus a client that signs in like a browser."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.runtime = harness.runtime
        self.client = harness.client

    def account(self, user: str, *, admin: bool = False, password: str = PASSWORD) -> None:
        self.runtime.accounts.create(user, password, admin=admin)

    def sign_in(self, user: str = "ann", password: str = PASSWORD) -> httpx.Response:
        account = self.runtime.accounts.account(user)
        if account is None or account.password_hash is None:
            self.account(user)
        self.client.cookies.clear()  # signed in as someone else: start afresh
        form = self.client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token, form.text
        return self.client.post(
            "/login",
            data={"login": user, "password": password, "csrf": token.group(1), "next": "/"},
            follow_redirects=False,
        )

    def csrf(self, path: str = "/") -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        """A form post with the session's CSRF secret, as the page's form would send it."""
        body = {"csrf": self.csrf(), **(data or {})}
        return self.client.post(path, data=body, follow_redirects=False, **kw)

    def alert(self, name: str = "HighErrorRate", **labels: str) -> None:
        self.harness.post(firing(name, **labels))
        self.harness.tick()


@pytest.fixture
def web(routed: Any, receiver: ReceiverServer) -> Iterator[Any]:
    def make(extra: str = "", config: str = CONFIG) -> Web:
        return Web(routed(config.format(url=receiver.url, extra=extra)))

    yield make


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its smallest cost: still the real hash and check, without spending
    100 ms of CPU on each of the hundreds of sign-ins in these tests (the server keeps the
    library's recommended cost)."""
    from argon2 import PasswordHasher

    from tocsin.services import accounts

    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
