"""A Tocsin (fake clock, SQLite and PostgreSQL) with a real SMTP server and a real webhook
receiver on loopback, and helpers for the status page's admin API.

The receiver is on 127.0.0.1, which webhooks may not reach unless private addresses are
allowed: ``status`` allows them (TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE=true), ``strict``
runs as shipped (refusing them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.notify.conftest import Harness
from tests.receiver_server import ReceiverServer
from tests.smtp_server import Recorder, smtp_server

CONFIG = """
global:
  smtp_smarthost: 127.0.0.1:{smtp}
  smtp_from: Status <status@example.com>
  smtp_require_tls: false
route:
  receiver: hook
receivers:
  - name: hook
    webhook_configs: [{{url: "{url}/alerts"}}]
users:
  - {{id: ann, name: Ann Example, email: ann@example.com}}
"""


class Status:
    """The harness, the mail and webhook servers, and the admin API with its token."""

    def __init__(self, harness: Harness, mail: Recorder, receiver: ReceiverServer) -> None:
        self.harness = harness
        self.runtime = harness.runtime
        self.client = harness.client
        self.clock = harness.clock
        self.mail = mail
        self.receiver = receiver

    @property
    def auth(self) -> dict[str, str]:
        return self.harness.api

    def api(self, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        response = self.client.request(
            method, f"/api/status-page{path}", json=body, headers=self.auth
        )
        if expect is not None:
            assert response.status_code == expect, response.text
        return response.json() if response.content else None

    def component(self, name: str, **fields: Any) -> int:
        made = self.api("POST", "/components", {"name": name, **fields}, expect=201)
        return int(made["id"])

    def group(self, name: str) -> int:
        return int(self.api("POST", "/groups", {"name": name}, expect=201)["id"])

    def publish(self, **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = self.api("POST", "/incidents", body, expect=201)
        return result

    def tick(self, seconds: float = 0) -> None:
        self.harness.tick(seconds)

    def public(self, path: str) -> httpx.Response:
        """A request with no credentials and no cookies (a member of the public)."""
        self.client.cookies.clear()
        return self.client.get(path)

    def link(self, text: str, path: str) -> str:
        found = re.search(rf"http://tocsin\.test(/status/{path}\?s=\w+&t=[\w-]+)", text)
        assert found, text
        return found.group(1)

    def form(self) -> str:
        """The subscribe form's CSRF value (its page sets the cookie)."""
        page = self.client.get("/status/subscribe")
        assert page.status_code == 200, page.text
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token, page.text
        return token.group(1)

    def subscribe(self, email: str) -> httpx.Response:
        """Send the public form as a new visitor would."""
        self.client.cookies.clear()
        return self.client.post("/status/subscribe", data={"email": email, "csrf": self.form()})


@pytest.fixture
def status(
    routed: Any, receiver: ReceiverServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Status]:
    monkeypatch.setenv("TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE", "true")
    with smtp_server() as (mail, port):
        harness = routed(CONFIG.format(smtp=port, url=receiver.url))
        yield Status(harness, mail, receiver)


@pytest.fixture
def strict(
    routed: Any, receiver: ReceiverServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Status]:
    """As shipped: webhooks only to public addresses."""
    monkeypatch.delenv("TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE", raising=False)
    monkeypatch.delenv("TOCSIN_OUTBOUND_ALLOW", raising=False)
    with smtp_server() as (mail, port):
        harness = routed(CONFIG.format(smtp=port, url=receiver.url))
        yield Status(harness, mail, receiver)
