"""Paging one person: a Slack DM, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

from tests.channels.contact_pages import (
    deliver,
    page,
)
from tests.receiver_server import ReceiverServer, refused_url
from tocsin.channels.notification import SendResult
from tocsin.channels.slack_dm import SlackDirect

POSTED = {"ok": True, "channel": "D024BE91L", "ts": "1712345678.000100"}
POST_PATH = "/api/chat.postMessage"


def test_a_slack_dm_has_the_message_and_incident_buttons(receiver: ReceiverServer) -> None:
    receiver.answer(POST_PATH, 200, POSTED)
    sender = SlackDirect("xoxb-dm-secret", api_url=f"{receiver.url}/api/")
    message = page(subject="DB <!channel> & down", body="replica > primary")
    result = deliver(sender, "U0123ABC", message)
    assert result == SendResult.success(200, ts="1712345678.000100", channel="D024BE91L")
    request = receiver.last
    assert request.path == POST_PATH
    assert request.headers["authorization"] == "Bearer xoxb-dm-secret"
    body = request.json()
    assert body["channel"] == "U0123ABC"
    assert body["text"] == "DB &lt;!channel&gt; &amp; down"
    assert body["blocks"] == [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*DB &lt;!channel&gt; &amp; down*\nreplica &gt; primary",
            },
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Acknowledge"},
                 "action_id": "tocsin_ack", "value": "42", "style": "primary"},
                {"type": "button", "text": {"type": "plain_text", "text": "Resolve"},
                 "action_id": "tocsin_resolve", "value": "42"},
                {"type": "button", "text": {"type": "plain_text", "text": "Open in Tocsin"},
                 "action_id": "tocsin_open", "url": "https://tocsin.test/incidents/42"},
            ],
        },
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "action_ids"),
    [
        ({"incident_id": None}, ["tocsin_open"]),
        ({"kind": "resolved"}, ["tocsin_open"]),
        ({"link": None}, ["tocsin_ack", "tocsin_resolve"]),
        ({"incident_id": None, "link": None}, None),
    ],
)
def test_slack_buttons_follow_the_message(
    receiver: ReceiverServer, changes: dict[str, Any], action_ids: list[str] | None
) -> None:
    receiver.answer(POST_PATH, 200, POSTED)
    assert deliver(SlackDirect("xoxb-1", f"{receiver.url}/api/"), "U1", page(**changes)).ok
    blocks = receiver.last.json()["blocks"]
    if action_ids is None:
        assert [b["type"] for b in blocks] == ["section"]
    else:
        assert [e["action_id"] for e in blocks[1]["elements"]] == action_ids


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (200, {"ok": False, "error": "channel_not_found"}, False),
        (200, {"ok": False, "error": "not_in_channel"}, False),
        (200, {"ok": False, "error": "ratelimited"}, True),
        (429, {"ok": False, "error": "ratelimited"}, True),
        (200, {"ok": False, "error": "internal_error"}, True),
        (503, {"ok": False, "error": "service_unavailable"}, True),
        (500, "<html>upstream</html>", True),
    ],
)
def test_slack_failures_map_to_results(
    receiver: ReceiverServer, status: int, body: Any, retryable: bool
) -> None:
    receiver.answer(POST_PATH, status, body)
    result = deliver(SlackDirect("xoxb-1", f"{receiver.url}/api/"), "U1")
    assert not result.ok and result.retryable is retryable and result.status_code == status
    if isinstance(body, dict):
        assert body["error"] in (result.error or "")


def test_slack_unreachable_is_retried() -> None:
    result = deliver(SlackDirect("xoxb-dm-secret", f"{refused_url()}/api/"), "U1")
    assert not result.ok and result.retryable
    assert "xoxb-dm-secret" not in (result.error or "")
    assert "xoxb" not in repr(SlackDirect("xoxb-dm-secret"))
