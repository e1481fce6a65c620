"""A Tocsin with a runbooks directory next to its tocsin.yaml, people in a team, a real SMTP
server on loopback and a web client that signs in like a browser. The clock starts on
Sunday 2026-03-01 12:00 UTC."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.config_parts import PAGER_ROUTE, SMTP_GLOBAL
from tests.notify.conftest import Harness, firing
from tests.smtp_server import Recorder, smtp_server
from tests.web.conftest import Web
from tests.web.conftest import quick_password_hashing as quick_password_hashing  # autouse
from tocsin.store.messages import Message

CONFIG = (
    SMTP_GLOBAL
    + PAGER_ROUTE
    + """\
users:
  - {{id: ann, name: Ann Example, email: ann@example.com, admin: true}}
  - {{id: bob, email: bob@example.com}}
  - {{id: dan, email: dan@example.com}}
teams:
  - {{name: platform, members: [ann, bob]}}
escalation_policies:
  - name: platform
    levels:
      - targets: [{{user: dan}}]
runbooks:
  review_every: 90d
  ask_review_after: [SEV1, SEV2, SEV3]
{extra}
"""
)

#: A runbook file as a team would write it.
LATENCY = """\
---
title: API latency is high
alerts: [APIHighLatency]
matchers: ['service="api"']
service: api
owner: platform
last_reviewed: 2026-02-01
---
# API latency is high

## Overview

The API answers slowly.

## Quick assessment

Open the API dashboard and compare p99 with last week.
Check the deploys of the last hour.

## Mitigation

Roll back.

## Previous incidents

Before Tocsin: the 2025 outage.
"""


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class Books:
    def __init__(self, harness: Harness, mail: Recorder, directory: Path) -> None:
        self.h = harness
        self.mail = mail
        self.directory = directory
        self.runtime = harness.runtime
        self.service = harness.runtime.runbooks
        self.web = Web(harness)
        self.headers = harness.api

    def alert(self, name: str = "APIHighLatency", **labels: str) -> None:
        self.h.post(firing(name, **labels))
        self.h.tick()
        self.h.tick()

    def at(self, t: datetime) -> None:
        """Move the clock to ``t``; run what is due, and what that made due (the sends)."""
        self.h.clock.advance(t - self.h.clock.now())
        self.h.tick()
        self.h.tick()

    def messages(self, kind: str | None = None) -> list[Message]:
        return self.h.messages(kind)

    def mails_to(self, address: str) -> list[EmailMessage]:
        return self.mail.sent_to(address)

    def get(self, path: str, **params: Any) -> Any:
        return self.h.client.get(path, params=params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.h.client.post(path, json=body, headers=self.headers)

    def put(self, path: str, body: Any) -> Any:
        return self.h.client.put(path, json=body, headers=self.headers)


@pytest.fixture
def books(routed: Any, tmp_path: Path) -> Iterator[Any]:
    """``books(files={"slug": text}, extra="")`` -> a Books around a started Tocsin."""
    with smtp_server() as (mail, port):

        def make(files: dict[str, str] | None = None, extra: str = "") -> Books:
            directory = tmp_path / "runbooks"
            directory.mkdir(exist_ok=True)
            for slug, text in (files if files is not None else {"api-latency": LATENCY}).items():
                (directory / f"{slug}.md").write_text(text)
            harness = routed(CONFIG.format(smtp=port, extra=extra))
            return Books(harness, mail, directory)

        yield make
