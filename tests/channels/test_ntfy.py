"""Paging one person: push through ntfy, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.channels.contact_pages import (
    ACK,
    OPEN,
    RESOLVE,
    basic,
    deliver,
    page,
)
from tests.receiver_server import ReceiverServer, refused_url
from tocsin.channels.contact import Action
from tocsin.channels.notification import SendResult
from tocsin.channels.ntfy import NtfySender


def test_ntfy_publishes_json_to_the_root_url(receiver: ReceiverServer) -> None:
    receiver.answer("/", 200, {"id": "hwQ2YpKdmg", "event": "message"})
    result = deliver(NtfySender(receiver.url), "oncall-alice-x7")
    assert result == SendResult.success(200, id="hwQ2YpKdmg")
    request = receiver.last
    assert request.path == "/"
    assert "authorization" not in request.headers
    assert request.json() == {
        "topic": "oncall-alice-x7",
        "title": "[P1] API latency high",
        "message": "p99 above 2s on api (eu-west)",
        "priority": 5,
        "tags": ["rotating_light"],
        "click": "https://tocsin.test/incidents/42",
        "actions": [
            {"action": "http", "label": "Acknowledge", "url": ACK.url, "method": "POST",
             "clear": True},
            {"action": "http", "label": "Resolve", "url": RESOLVE.url, "method": "POST",
             "clear": True},
            {"action": "view", "label": "Open", "url": OPEN.url},
        ],
    }  # fmt: skip


def test_ntfy_low_urgency_resolved_and_at_most_three_actions(receiver: ReceiverServer) -> None:
    extra = Action("open", "Runbook", "https://runbooks.test/latency")
    message = page(kind="resolved", urgency="low", link=None, actions=(OPEN, extra, ACK, RESOLVE))
    assert deliver(NtfySender(f"{receiver.url}/ntfy/"), "t", message).ok
    body = receiver.last.json()
    assert receiver.last.path == "/ntfy/"
    assert body["priority"] == 3
    assert body["tags"] == ["white_check_mark"]
    assert "click" not in body
    assert [a["label"] for a in body["actions"]] == ["Open", "Runbook", "Acknowledge"]

    deliver(NtfySender(receiver.url), "t", page(kind="reminder", actions=()))
    body = receiver.last.json()
    assert body["tags"] == ["bell"] and "actions" not in body


def test_ntfy_auth_by_token_or_by_password(receiver: ReceiverServer) -> None:
    deliver(NtfySender(receiver.url, token="tk_abc123"), "t")
    assert receiver.last.headers["authorization"] == "Bearer tk_abc123"
    deliver(NtfySender(receiver.url, username="tocsin", password="pw-1"), "t")
    assert receiver.last.headers["authorization"] == basic("tocsin", "pw-1")


@pytest.mark.parametrize(("status", "retryable"), [(403, False), (429, True), (502, True)])
def test_ntfy_failures(receiver: ReceiverServer, status: int, retryable: bool) -> None:
    receiver.answer("/", status, {"code": 40301, "error": "forbidden, token tk_abc123"})
    result = deliver(NtfySender(receiver.url, token="tk_abc123"), "t")
    assert not result.ok and result.retryable is retryable and result.status_code == status
    assert "tk_abc123" not in (result.error or "") and "forbidden" in (result.error or "")


def test_ntfy_unreachable_is_retried() -> None:
    result = deliver(NtfySender(refused_url()), "t")
    assert not result.ok and result.retryable
