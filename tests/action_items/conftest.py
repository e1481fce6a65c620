"""A Tocsin with people in far time zones, two teams, a real SMTP server on loopback and a
web client that signs in like a browser. The clock starts on Sunday 2026-03-01 12:00 UTC.

ann lives in Auckland (UTC+13 in March), bob in Los Angeles (UTC-8, UTC-7 from 8 March);
cat and dan are in no team. bob is in both teams."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import insert

from tests.config_parts import PAGER_ROUTE, SMTP_GLOBAL
from tests.notify.conftest import Harness
from tests.smtp_server import Recorder, smtp_server
from tests.web.conftest import Web
from tests.web.conftest import quick_password_hashing as quick_password_hashing  # autouse
from tocsin.store.learning_tables import postmortems
from tocsin.store.messages import Message

CONFIG = (
    SMTP_GLOBAL
    + PAGER_ROUTE
    + """\
users:
  - {{id: ann, name: Ann Example, email: ann@example.com, time_zone: Pacific/Auckland,
      admin: true}}
  - {{id: bob, email: bob@example.com, time_zone: America/Los_Angeles}}
  - {{id: cat, email: cat@example.com}}
  - {{id: dan, email: dan@example.com}}
teams:
  - {{name: platform, members: [ann, bob]}}
  - {{name: payments, members: [bob]}}
escalation_policies:
  - name: platform
    team: platform
    levels:
      - delay: 5m
        targets: [{{user: dan}}]
postmortems:
  remind_before: 2d
  remind_after: 1d
  follow_up_review: 14d
{extra}
"""
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


class Actions:
    def __init__(self, harness: Harness, mail: Recorder) -> None:
        self.h = harness
        self.mail = mail
        self.runtime = harness.runtime
        self.service = harness.runtime.action_items
        self.web = Web(harness)

    def incident(self, title: str = "Disk full", **kw: Any) -> int:
        made = self.runtime.incidents.declare(
            title=title, severity=kw.pop("severity", "SEV2"), actor="ann", **kw
        )
        return made.id

    def at(self, t: datetime) -> None:
        """Move the clock to ``t``; run what is due, and what that made due (the sends)."""
        self.h.clock.advance(t - self.h.clock.now())
        self.h.tick()
        self.h.tick()

    def messages(self, kind: str | None = None) -> list[Message]:
        return self.h.messages(kind)

    def mails_to(self, address: str) -> list[EmailMessage]:
        return self.mail.sent_to(address)

    def postmortem(
        self,
        incident_id: int,
        *,
        published_at: datetime | None,
        authors: list[str],
        category: str | None = None,
    ) -> int:
        """A postmortem row as the postmortem service would keep it."""
        now = self.h.clock.now()
        with self.runtime.db.write() as conn:
            result = conn.execute(
                insert(postmortems),
                {
                    "incident_id": incident_id,
                    "state": "published" if published_at else "draft",
                    "title": f"Postmortem of #{incident_id}",
                    "body": "",
                    "root_cause_category": category,
                    "authors": authors,
                    "reviewers": [],
                    "required": True,
                    "version": 1,
                    "created_at": now,
                    "created_by": "ann",
                    "updated_at": now,
                    "updated_by": "ann",
                    "published_at": published_at,
                },
            )
            assert result.inserted_primary_key is not None
            return int(result.inserted_primary_key[0])


@pytest.fixture
def actions(routed: Any) -> Iterator[Any]:
    """``actions(extra_yaml="")`` -> an Actions around a started Tocsin."""
    with smtp_server() as (mail, port):

        def make(extra: str = "") -> Actions:
            return Actions(routed(CONFIG.format(smtp=port, extra=extra)), mail)

        yield make
