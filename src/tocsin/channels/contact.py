"""Reaching one person: the contract every contact method's sender follows.

A ``PersonalMessage`` is what Tocsin says to one person (a page, a test page, a
reminder); a ``ContactSender`` delivers it over one method (SMS, voice, push, Slack DM,
webhook, email) to one address (a phone number, an ntfy topic, a Slack user id, a URL...),
answers a ``SendResult`` and never raises for a failure of the far end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

import httpx

from tocsin.channels.notification import SendResult
from tocsin.domain.users import ContactMethod

__all__ = ["Action", "ContactMethod", "ContactSender", "PersonalMessage"]


@dataclass(frozen=True)
class Action:
    """A link the person can follow: ``kind`` ack | resolve | open. Ack and resolve links
    are signed and act when opened (GET shows a confirmation, POST acts)."""

    kind: str
    label: str
    url: str


@dataclass(frozen=True)
class PersonalMessage:
    #: page | test | resolved | reminder ...
    kind: str
    #: One line: the SMS text's start, the push title, the email subject.
    subject: str
    #: The rest, plain text (no markup).
    body: str
    #: high | low: push priority (high wakes the phone), ...
    urgency: str = "high"
    #: The incident's page in Tocsin, if any.
    link: str | None = None
    actions: Sequence[Action] = ()
    #: Unique per (incident, level, loop, user, method): passed to providers that dedupe.
    idempotency_key: str = ""
    #: The incident's id, for senders that carry it (Slack button values).
    incident_id: int | None = None
    #: A short code the person can reply with (SMS "4 <code>" acknowledges).
    reply_code: str | None = None
    sent_at: datetime | None = None
    #: Where a provider with delivery receipts (Twilio) reports what became of it.
    status_url: str | None = None
    #: About a drill (its subject and body already say DRILL).
    drill: bool = False


class ContactSender(Protocol):
    method: ClassVar[ContactMethod]

    def send(self, address: str, message: PersonalMessage, client: httpx.Client) -> SendResult:
        """Deliver once to ``address``. Network failures are returned (retryable), not
        raised; a 4xx answer is not retryable."""
        ...
