"""Paging one person: a personal webhook, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.channels.contact_pages import (
    ACK,
    OPEN,
    RESOLVE,
    deliver,
)
from tests.receiver_server import ReceiverServer, refused_url
from tocsin.channels.contact import PersonalMessage
from tocsin.channels.personal_webhook import WebhookSender


def test_the_webhook_posts_the_versioned_payload_with_an_idempotency_key(
    receiver: ReceiverServer,
) -> None:
    sender = WebhookSender(headers={"X-Tocsin-Secret": "shared-1"})
    result = deliver(sender, f"{receiver.url}/me")
    assert result.ok and result.status_code == 200
    request = receiver.last
    assert request.path == "/me"
    assert request.headers["idempotency-key"] == "inc42-l0-n0-u7"
    assert request.headers["x-tocsin-secret"] == "shared-1"
    assert request.json() == {
        "version": "1",
        "kind": "page",
        "subject": "[P1] API latency high",
        "body": "p99 above 2s on api (eu-west)",
        "urgency": "high",
        "link": "https://tocsin.test/incidents/42",
        "incidentId": 42,
        "actions": [
            {"kind": "ack", "label": "Acknowledge", "url": ACK.url},
            {"kind": "resolve", "label": "Resolve", "url": RESOLVE.url},
            {"kind": "open", "label": "Open", "url": OPEN.url},
        ],
        "idempotencyKey": "inc42-l0-n0-u7",
        "sentAt": "2026-03-01T12:00:00+00:00",
        "drill": False,
    }


def test_the_webhook_sends_null_for_what_is_absent(receiver: ReceiverServer) -> None:
    message = PersonalMessage("test", "Test page", "")
    assert deliver(WebhookSender(), f"{receiver.url}/me", message).ok
    body = receiver.last.json()
    assert body["link"] is None and body["incidentId"] is None and body["sentAt"] is None
    assert body["actions"] == [] and "idempotency-key" not in receiver.last.headers


@pytest.mark.parametrize(("status", "retryable"), [(404, False), (500, True), (429, True)])
def test_webhook_failures(receiver: ReceiverServer, status: int, retryable: bool) -> None:
    receiver.answer("/me", status, "nope, shared-1 is wrong")
    result = deliver(WebhookSender(headers={"X-Tocsin-Secret": "shared-1"}), f"{receiver.url}/me")
    assert not result.ok and result.retryable is retryable and result.status_code == status
    assert result.error == f"HTTP {status}: nope, <secret> is wrong"


def test_a_webhook_address_that_is_not_a_url_is_not_retried(receiver: ReceiverServer) -> None:
    result = deliver(WebhookSender(), "ftp://example.test/x")
    assert not result.ok and not result.retryable
    assert receiver.requests == []
    result = deliver(WebhookSender(), f"{refused_url()}/me")
    assert not result.ok and result.retryable
