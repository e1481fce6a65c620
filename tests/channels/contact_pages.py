"""What the contact-sender tests share: a page to send, sending it, reading what arrived."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx

from tests.receiver_server import ReceiverServer, Request
from tocsin.channels.contact import Action, ContactSender, PersonalMessage
from tocsin.channels.twilio import TwilioAccount

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACK = Action("ack", "Acknowledge", "https://tocsin.test/act/ack?t=abc&i=42")
RESOLVE = Action("resolve", "Resolve", "https://tocsin.test/act/resolve?t=def&i=42")
OPEN = Action("open", "Open", "https://tocsin.test/incidents/42")
SID = "AC0123456789abcdef"
TOKEN = "tw-secret-token-0001"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
CALLS = f"/2010-04-01/Accounts/{SID}/Calls.json"
Problems = list[tuple[list[str | int], str]]
#: What the SMS of ``page()`` says.
SMS_TEXT = (
    "[P1] API latency high\n"
    "p99 above 2s on api (eu-west)\n"
    'Reply "4 K7" to acknowledge, "6 K7" to resolve\n'
    "https://tocsin.test/incidents/42"
)


def page(**changes: Any) -> PersonalMessage:
    fields: dict[str, Any] = {
        "kind": "page",
        "subject": "[P1] API latency high",
        "body": "p99 above 2s on api (eu-west)",
        "urgency": "high",
        "link": "https://tocsin.test/incidents/42",
        "actions": (ACK, RESOLVE, OPEN),
        "idempotency_key": "inc42-l0-n0-u7",
        "incident_id": 42,
        "reply_code": "K7",
        "sent_at": T0,
    }
    fields.update(changes)
    return PersonalMessage(**fields)


def deliver(sender: ContactSender, address: str, message: PersonalMessage | None = None) -> Any:
    with httpx.Client(timeout=5) as client:
        return sender.send(address, message or page(), client)


def form(request: Request) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode(), keep_blank_values=True))


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def account(server: ReceiverServer, **kw: Any) -> TwilioAccount:
    return TwilioAccount(SID, TOKEN, server.url, **kw)
