"""A page to one person as a JSON POST to a URL of their choosing (their own automation, a
home-assistant, a pager bridge). The body, version "1"::

    {"version": "1", "kind": "page", "subject": "...", "body": "...", "urgency": "high",
     "link": "https://tocsin.example/incidents/42", "incidentId": 42,
     "actions": [{"kind": "ack", "label": "Acknowledge", "url": "..."}],
     "idempotencyKey": "...", "sentAt": "2026-03-01T12:00:00+00:00", "drill": false}

(``drill``: true for every message about a drill, whose subject and body also say DRILL)

with the header ``Idempotency-Key`` (the same key: a receiver drops repeats of a retried
delivery) and any configured extra headers, whose values are blanked in error texts.

Anyone may set their own URL (the profile page), so it is guarded as a URL a user chose
(``tocsin.outbound``, ``Trust.USER``): public addresses only, unless the operator lists
the address or host in ``TOCSIN_OUTBOUND_ALLOW``; redirects are not followed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from tocsin.channels.contact import ContactMethod, PersonalMessage
from tocsin.channels.notification import SendResult, transport_failure
from tocsin.outbound import TRUST, Trust

__all__ = ["VERSION", "WebhookSender", "payload"]

VERSION = "1"


def payload(message: PersonalMessage) -> dict[str, Any]:
    return {
        "version": VERSION,
        "kind": message.kind,
        "subject": message.subject,
        "body": message.body,
        "urgency": message.urgency,
        "link": message.link,
        "incidentId": message.incident_id,
        "actions": [{"kind": a.kind, "label": a.label, "url": a.url} for a in message.actions],
        "idempotencyKey": message.idempotency_key,
        "sentAt": message.sent_at.isoformat() if message.sent_at is not None else None,
        "drill": message.drill,
    }


@dataclass(frozen=True)
class WebhookSender:
    method: ClassVar[ContactMethod] = ContactMethod.WEBHOOK
    #: Sent with every request (e.g. a shared secret the receivers check).
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: Seconds; None uses the client's.
    timeout: float | None = None

    def send(self, address: str, message: PersonalMessage, client: httpx.Client) -> SendResult:
        if not address.startswith(("http://", "https://")):
            return SendResult.failure(f"{address!r} is not an http(s) URL", retryable=False)
        headers = dict(self.headers)
        if message.idempotency_key:
            headers["Idempotency-Key"] = message.idempotency_key
        try:
            response = client.post(
                address,
                json=payload(message),
                headers=headers,
                timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
                follow_redirects=False,
                extensions={TRUST: Trust.USER},
            )
        except httpx.HTTPError as exc:
            return transport_failure(exc, self._blank)
        result = SendResult.from_response(response)
        if result.ok:
            return result
        return SendResult.failure(
            self._blank(result.error or ""),
            retryable=result.retryable,
            status_code=result.status_code,
        )

    def _blank(self, text: str) -> str:
        for value in sorted(self.headers.values(), key=len, reverse=True):
            if len(value) >= 4:
                text = text.replace(value, "<secret>")
        return text
