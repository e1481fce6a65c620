"""The senders that page one person (Twilio SMS and voice, an SMS gateway, ntfy, a Slack DM,
a personal webhook) against a real HTTP server on 127.0.0.1, and building them from the
``paging:`` section."""

from __future__ import annotations

import base64
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.receiver_server import ReceiverServer, Request, refused_url
from tocsin.channels.contact import Action, ContactMethod, ContactSender, PersonalMessage
from tocsin.channels.notification import SendResult
from tocsin.channels.ntfy import NtfySender
from tocsin.channels.personal_webhook import WebhookSender
from tocsin.channels.providers import Providers, build_providers
from tocsin.channels.slack_dm import SlackDirect
from tocsin.channels.sms_gateway import GatewaySms, GatewayTemplate
from tocsin.channels.templates import TemplateError
from tocsin.channels.twilio import TwilioAccount, TwilioSms, TwilioVoice, sms_text, twiml

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ACK = Action("ack", "Acknowledge", "https://tocsin.test/act/ack?t=abc&i=42")
RESOLVE = Action("resolve", "Resolve", "https://tocsin.test/act/resolve?t=def&i=42")
OPEN = Action("open", "Open", "https://tocsin.test/incidents/42")
SID = "AC0123456789abcdef"
TOKEN = "tw-secret-token-0001"
MESSAGES = f"/2010-04-01/Accounts/{SID}/Messages.json"
CALLS = f"/2010-04-01/Accounts/{SID}/Calls.json"
Problems = list[tuple[list[str | int], str]]


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


# --- Twilio SMS -------------------------------------------------------------------------------

SMS_TEXT = (
    "[P1] API latency high\n"
    "p99 above 2s on api (eu-west)\n"
    'Reply "4 K7" to acknowledge, "6 K7" to resolve\n'
    "https://tocsin.test/incidents/42"
)


def test_twilio_sms_posts_the_messages_resource(receiver: ReceiverServer) -> None:
    receiver.answer(MESSAGES, 201, {"sid": "SM0001", "status": "queued"})
    result = deliver(TwilioSms(account(receiver), from_="+15550001111"), "+15557654321")
    assert result == SendResult.success(201, sid="SM0001")
    request = receiver.last
    assert request.path == MESSAGES
    assert request.headers["authorization"] == basic(SID, TOKEN)
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(request) == {"To": "+15557654321", "From": "+15550001111", "Body": SMS_TEXT}


def test_twilio_sms_through_a_messaging_service_sends_no_from(receiver: ReceiverServer) -> None:
    receiver.answer(MESSAGES, 201, {"sid": "SM0002"})
    sender = TwilioSms(account(receiver), messaging_service_sid="MG0001")
    assert deliver(sender, "+15557654321").ok
    sent = form(receiver.last)
    assert sent["MessagingServiceSid"] == "MG0001"
    assert "From" not in sent


def test_twilio_sms_needs_a_sender() -> None:
    with pytest.raises(ValueError, match="from number or a messaging service"):
        TwilioSms(TwilioAccount(SID, TOKEN))


def test_the_sms_text_prefers_the_open_action_and_skips_what_is_absent() -> None:
    message = page(link="https://tocsin.test/other", reply_code=None, body="")
    assert sms_text(message) == "[P1] API latency high\nhttps://tocsin.test/incidents/42"
    assert sms_text(page(actions=(), reply_code=None)) == (
        "[P1] API latency high\np99 above 2s on api (eu-west)\nhttps://tocsin.test/incidents/42"
    )


def test_a_reply_line_in_the_body_is_not_repeated() -> None:
    body = 'Incident #42 is open.\nReply "4 K7" to acknowledge, "6 K7" to resolve.\nBye'
    text = sms_text(page(body=body))
    assert text == (
        "[P1] API latency high\nIncident #42 is open.\nBye\n"
        'Reply "4 K7" to acknowledge, "6 K7" to resolve\nhttps://tocsin.test/incidents/42'
    )
    assert "Reply" not in twiml(page(body=body))
    # Without a reply code the body is left as it is.
    assert 'Reply "4 K7"' in sms_text(page(body=body, reply_code=None))


def test_a_long_body_is_shortened_so_the_sms_stays_within_1600_characters() -> None:
    text = sms_text(page(body="word " * 1000))
    assert len(text) == 1600
    lines = text.split("\n")
    assert lines[0] == "[P1] API latency high"
    assert lines[1].startswith("word word") and lines[1].endswith("…")
    assert lines[2:] == [
        'Reply "4 K7" to acknowledge, "6 K7" to resolve',
        "https://tocsin.test/incidents/42",
    ]


def test_a_long_subject_is_cut_but_the_reply_code_and_link_stay_whole() -> None:
    text = sms_text(page(subject="S" * 2000), limit=200)
    assert len(text) <= 200
    assert text.endswith('"6 K7" to resolve\nhttps://tocsin.test/incidents/42')
    assert text.startswith("SSS") and "…" in text


@given(
    subject=st.text(max_size=300),
    body=st.text(max_size=2500),
    code=st.none() | st.text(alphabet="ABCDEFGH2345", min_size=1, max_size=6),
    link=st.none() | st.just("https://tocsin.test/incidents/42"),
    limit=st.integers(min_value=20, max_value=1600),
)
def test_the_sms_text_never_exceeds_its_limit(
    subject: str, body: str, code: str | None, link: str | None, limit: int
) -> None:
    message = PersonalMessage("page", subject, body, link=link, reply_code=code)
    text = sms_text(message, limit)
    assert len(text) <= limit
    if link and len(link) + 60 <= limit:
        assert text.endswith(link)


def test_a_twilio_error_is_reported_with_its_code_and_not_retried(
    receiver: ReceiverServer,
) -> None:
    receiver.answer(
        MESSAGES,
        400,
        {
            "code": 21211,
            "message": "The 'To' number +1555 is not a valid phone number.",
            "more_info": "https://www.twilio.com/docs/errors/21211",
            "status": 400,
        },
    )
    result = deliver(TwilioSms(account(receiver), from_="+15550001111"), "+1555")
    assert not result.ok and not result.retryable
    assert result.status_code == 400
    assert result.error == (
        "HTTP 400: Twilio error 21211: The 'To' number +1555 is not a valid phone number."
    )


def test_the_auth_token_never_appears_in_an_error(receiver: ReceiverServer) -> None:
    receiver.answer(MESSAGES, 401, {"code": 20003, "message": f"Authenticate ({TOKEN})"})
    result = deliver(TwilioSms(account(receiver), from_="+15550001111"), "+15557654321")
    assert not result.ok and not result.retryable
    assert "20003" in (result.error or "")
    assert TOKEN not in (result.error or "")
    assert TOKEN not in repr(account(receiver))


@pytest.mark.parametrize(
    ("status", "body"), [(500, "upstream error"), (503, {"code": 20503}), (429, {"code": 20429})]
)
def test_twilio_5xx_and_429_are_retried(receiver: ReceiverServer, status: int, body: Any) -> None:
    receiver.answer(MESSAGES, status, body)
    result = deliver(TwilioSms(account(receiver), from_="+15550001111"), "+15557654321")
    assert not result.ok and result.retryable and result.status_code == status


def test_twilio_unreachable_or_slow_is_retried() -> None:
    refused = TwilioSms(TwilioAccount(SID, TOKEN, refused_url()), from_="+15550001111")
    result = deliver(refused, "+15557654321")
    assert not result.ok and result.retryable and result.status_code is None

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        slow = TwilioSms(TwilioAccount(SID, TOKEN, url, timeout=0.2), from_="+15550001111")
        result = deliver(slow, "+15557654321")
    assert not result.ok and result.retryable
    assert result.error == "ReadTimeout: timed out"


# --- Twilio voice -----------------------------------------------------------------------------


def test_twilio_voice_places_a_call_that_gathers_the_ack(receiver: ReceiverServer) -> None:
    receiver.answer(CALLS, 201, {"sid": "CA0001", "status": "queued"})
    result = deliver(TwilioVoice(account(receiver), from_="+15550001111"), "+15557654321")
    assert result == SendResult.success(201, sid="CA0001")
    request = receiver.last
    assert request.path == CALLS
    assert request.headers["authorization"] == basic(SID, TOKEN)
    sent = form(request)
    assert sent["To"] == "+15557654321" and sent["From"] == "+15550001111"
    assert sent["Twiml"] == (
        "<Response><Say>[P1] API latency high</Say>"
        "<Say>p99 above 2s on api (eu-west)</Say>"
        '<Gather numDigits="1" action="https://tocsin.test/act/ack?t=abc&amp;i=42" '
        'method="POST"><Say>Press 4 to acknowledge.</Say></Gather>'
        "<Say>Goodbye.</Say></Response>"
    )
    gather = ElementTree.fromstring(sent["Twiml"]).find("Gather")
    assert gather is not None and gather.get("action") == ACK.url


def test_twiml_escapes_text_and_has_no_gather_without_an_ack_link() -> None:
    xml = twiml(page(subject="DB <primary> & replica down", body='"quoted" <b>', actions=()))
    assert xml == (
        "<Response><Say>DB &lt;primary&gt; &amp; replica down</Say>"
        '<Say>"quoted" &lt;b&gt;</Say><Say>Goodbye.</Say></Response>'
    )
    says = [e.text for e in ElementTree.fromstring(xml).iter("Say")]
    assert says == ["DB <primary> & replica down", '"quoted" <b>', "Goodbye."]


def test_twiml_reads_a_short_body_only() -> None:
    xml = twiml(page(body="x" * 5000, subject="y" * 5000))
    assert len(xml) < 1000
    ElementTree.fromstring(xml)


# --- SMS gateway ------------------------------------------------------------------------------


def test_the_gateway_posts_json_with_the_default_params(receiver: ReceiverServer) -> None:
    result = deliver(GatewaySms(f"{receiver.url}/sms"), "+15557654321")
    assert result.ok and result.status_code == 200
    assert receiver.last.path == "/sms"
    assert receiver.last.json() == {"to": "+15557654321", "text": SMS_TEXT}


def test_the_gateway_renders_templates_into_form_fields_with_headers(
    receiver: ReceiverServer,
) -> None:
    params = {
        "number": "{{ to }}",
        "message": "{{ subject }} ({{ reply_code }})",
        "url": "{{ link }}",
        "ref": "{{ idempotency_key }}",
        "api_key": "gw-key-123",
    }
    sender = GatewaySms(
        f"{receiver.url}/send",
        content_type="form",
        headers={"X-Gateway": "tocsin"},
        params={k: GatewayTemplate(v) for k, v in params.items()},
    )
    assert deliver(sender, "+15557654321").ok
    request = receiver.last
    assert request.headers["x-gateway"] == "tocsin"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(request) == {
        "number": "+15557654321",
        "message": "[P1] API latency high (K7)",
        "url": "https://tocsin.test/incidents/42",
        "ref": "inc42-l0-n0-u7",
        "api_key": "gw-key-123",
    }


def test_the_gateway_text_respects_its_max_length(receiver: ReceiverServer) -> None:
    sender = GatewaySms(f"{receiver.url}/sms", max_length=160)
    assert deliver(sender, "+15557654321", page(body="long " * 100)).ok
    text = receiver.last.json()["text"]
    assert len(text) <= 160 and text.endswith("https://tocsin.test/incidents/42")


class GetServer:
    """A loopback server that records GET requests (ReceiverServer records POSTs)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def get_server() -> Iterator[GetServer]:
    server = GetServer()
    yield server
    server.close()


def test_a_get_gateway_sends_query_parameters(get_server: GetServer) -> None:
    sender = GatewaySms(
        f"{get_server.url}/cgi/send?user=ops",
        http_method="GET",
        params={"to": GatewayTemplate("{{ to }}"), "msg": GatewayTemplate("{{ subject }}")},
    )
    assert deliver(sender, "+15557654321").ok
    (path,) = get_server.paths
    parts = urlsplit(path)
    assert parts.path == "/cgi/send"
    assert dict(parse_qsl(parts.query)) == {
        "user": "ops",
        "to": "+15557654321",
        "msg": "[P1] API latency high",
    }


@pytest.mark.parametrize(
    ("success_status", "status", "ok", "retryable"),
    [
        ((), 200, True, False),
        ((), 204, True, False),
        ((202,), 202, True, False),
        ((202,), 200, False, False),
        ((), 400, False, False),
        ((), 503, False, True),
        ((), 429, False, True),
    ],
)
def test_gateway_answers_map_to_results(
    receiver: ReceiverServer,
    success_status: tuple[int, ...],
    status: int,
    ok: bool,
    retryable: bool,
) -> None:
    receiver.answer("/sms", status, "answer")
    result = deliver(GatewaySms(f"{receiver.url}/sms", success_status=success_status), "+1555")
    assert result.ok is ok and result.retryable is retryable and result.status_code == status


def test_gateway_secrets_are_blanked_in_errors(receiver: ReceiverServer) -> None:
    receiver.answer("/sms", 401, "bad key gw-key-123 or token Bearer hdr-secret-9")
    sender = GatewaySms(
        f"{receiver.url}/sms",
        headers={"Authorization": "Bearer hdr-secret-9"},
        params={"to": GatewayTemplate("{{ to }}"), "key": GatewayTemplate("gw-key-123")},
    )
    result = deliver(sender, "+1555")
    assert not result.ok and not result.retryable
    assert result.error == "HTTP 401: bad key <secret> or token <secret>"


def test_gateway_unreachable_is_retried() -> None:
    result = deliver(GatewaySms(f"{refused_url()}/sms"), "+1555")
    assert not result.ok and result.retryable


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("{{ phone }}", "unknown name(s) phone"),
        ("{{ to ", "template error"),
        ("{{ to.missing.attr }}", "template error"),
    ],
)
def test_a_bad_gateway_template_fails_when_compiled(source: str, error: str) -> None:
    with pytest.raises(TemplateError, match=error.replace("(", r"\(").replace(")", r"\)")):
        GatewayTemplate(source)


# --- ntfy -------------------------------------------------------------------------------------


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


# --- Slack DM ---------------------------------------------------------------------------------

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


# --- personal webhook -------------------------------------------------------------------------


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


# --- building from paging: ---------------------------------------------------------------------


def build(raw: Any) -> tuple[Providers, Problems]:
    problems: Problems = []
    providers = build_providers(raw, lambda keys, text: problems.append((keys, text)))
    return providers, problems


def test_nothing_configured_gives_push_and_webhook_and_says_why_not_the_rest() -> None:
    providers, problems = build(None)
    assert problems == []
    assert set(providers.senders) == {ContactMethod.PUSH, ContactMethod.WEBHOOK}
    push = providers.senders[ContactMethod.PUSH]
    assert isinstance(push, NtfySender) and push.base_url == "https://ntfy.sh"
    assert providers.missing == {
        ContactMethod.SMS: "no SMS provider: configure paging.twilio or paging.sms_gateway",
        ContactMethod.VOICE: "voice calls need paging.twilio",
        ContactMethod.SLACK: (
            "Slack messages need paging.slack.bot_token (the Tocsin Slack app's bot token)"
        ),
    }
    assert providers.sender(ContactMethod.SMS) == providers.missing[ContactMethod.SMS]
    assert providers.sender(ContactMethod.WEBHOOK) is providers.senders[ContactMethod.WEBHOOK]
    assert providers.sender(ContactMethod.EMAIL) == "no email sender is configured"
    assert providers.twilio_auth_token is None and providers.slack_signing_secret is None


def test_everything_configured(tmp_path: Path) -> None:
    token = tmp_path / "twilio"
    token.write_text("tok-from-file\n")
    providers, problems = build(
        {
            "twilio": {
                "account_sid": SID,
                "auth_token_file": str(token),
                "from": "+15550001111",
                "timeout": "5s",
            },
            "ntfy": {"base_url": "https://ntfy.example", "token": "tk_1"},
            "slack": {
                "bot_token": "xoxb-1",
                "signing_secret": "sign-1",
                "api_url": "https://slack.example/api/",
            },
            "webhook": {"headers": {"X-Secret": "s"}, "timeout": "3s"},
        }
    )
    assert problems == []
    assert providers.missing == {}
    sms = providers.senders[ContactMethod.SMS]
    assert isinstance(sms, TwilioSms)
    assert sms.account == TwilioAccount(SID, "tok-from-file", "https://api.twilio.com", 5.0)
    assert sms.from_ == "+15550001111" and sms.messaging_service_sid is None
    voice = providers.senders[ContactMethod.VOICE]
    assert isinstance(voice, TwilioVoice) and voice.account is sms.account
    assert providers.senders[ContactMethod.PUSH] == NtfySender(
        "https://ntfy.example", token="tk_1", timeout=10.0
    )
    slack = providers.senders[ContactMethod.SLACK]
    assert isinstance(slack, SlackDirect) and slack.bot.base_url == "https://slack.example/api/"
    assert providers.senders[ContactMethod.WEBHOOK] == WebhookSender({"X-Secret": "s"}, 3.0)
    assert providers.twilio_auth_token == "tok-from-file"
    assert providers.slack_signing_secret == "sign-1"
    assert "tok-from-file" not in repr(providers) and "sign-1" not in repr(providers)


def test_built_twilio_sends_to_the_configured_base_url(receiver: ReceiverServer) -> None:
    providers, problems = build(
        {"twilio": {"account_sid": SID, "auth_token": TOKEN, "from": "+1555",
                    "base_url": receiver.url}}
    )  # fmt: skip
    assert problems == []
    receiver.answer(MESSAGES, 201, {"sid": "SM9"})
    sender = providers.sender(ContactMethod.SMS)
    assert not isinstance(sender, str)
    assert deliver(sender, "+15557654321").details == {"sid": "SM9"}
    assert receiver.last.headers["authorization"] == basic(SID, TOKEN)


def test_a_messaging_service_sends_sms_but_cannot_call() -> None:
    providers, problems = build(
        {"twilio": {"account_sid": SID, "auth_token": "t", "messaging_service_sid": "MG1"}}
    )
    assert problems == []
    assert isinstance(providers.senders[ContactMethod.SMS], TwilioSms)
    assert providers.missing[ContactMethod.VOICE] == (
        "voice calls need paging.twilio.from (a messaging service cannot place calls)"
    )


def test_the_sms_provider_defaults_to_twilio_and_can_name_the_gateway() -> None:
    twilio = {"account_sid": SID, "auth_token": "t", "from": "+1555"}
    gateway = {"url": "https://sms.example/send", "method": "get", "content_type": "form"}
    providers, problems = build({"twilio": twilio, "sms_gateway": gateway})
    assert problems == []
    assert isinstance(providers.senders[ContactMethod.SMS], TwilioSms)

    providers, problems = build(
        {"sms_provider": "sms_gateway", "twilio": twilio, "sms_gateway": gateway}
    )
    assert problems == []
    sms = providers.senders[ContactMethod.SMS]
    assert isinstance(sms, GatewaySms)
    assert (sms.url, sms.http_method, sms.content_type) == (
        "https://sms.example/send",
        "GET",
        "form",
    )
    assert isinstance(providers.senders[ContactMethod.VOICE], TwilioVoice)

    providers, problems = build({"sms_gateway": gateway})
    assert problems == [] and isinstance(providers.senders[ContactMethod.SMS], GatewaySms)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"pager": {}}, [(["paging", "pager"], "is not a known field")]),
        (
            {"twilio": {"account_sid": SID, "auth_token": "t", "form": "+1555"}},
            [
                (["paging", "twilio", "form"], "is not a known field"),
            ],
        ),
        (
            {"twilio": {"account_sid": SID, "auth_token": "t"}},
            [(["paging", "twilio", "from"], "is required (or messaging_service_sid)")],
        ),
        (
            {"twilio": {"from": "+1555"}},
            [(["paging", "twilio", "account_sid"], "is required")],
        ),
        (
            {"twilio": {"account_sid": SID, "from": "+1555"}},
            [(["paging", "twilio", "auth_token"], "is required (or auth_token_file)")],
        ),
        (
            {"twilio": {"account_sid": SID, "auth_token": "t", "auth_token_file": "/x",
                        "from": "+1"}},
            [(["paging", "twilio", "auth_token_file"], "at most one of auth_token and "
              "auth_token_file")],
        ),
        (
            {"sms_provider": "twilio"},
            [(["paging", "sms_provider"], "is twilio, but paging.twilio is not configured")],
        ),
        (
            {"sms_provider": "nexmo"},
            [(["paging", "sms_provider"], "must be twilio or sms_gateway, not 'nexmo'")],
        ),
        (
            {"sms_gateway": {"url": "sms.example/send", "content_type": "xml"}},
            [
                (["paging", "sms_gateway", "url"], "'sms.example/send' is not an http(s) URL"),
                (["paging", "sms_gateway", "content_type"], "Input should be 'json' or 'form'"),
            ],
        ),
        (
            {"sms_gateway": {"url": "https://gw", "params": {"text": "{{ message }}"}}},
            [
                (["paging", "sms_gateway", "params", "text"],
                 "unknown name(s) message; available: body, idempotency_key, link, "
                 "reply_code, subject, text, to"),
            ],
        ),
        (
            {"slack": {"api_url": "https://slack.example/api/"}},
            [(["paging", "slack", "bot_token"], "is required (or bot_token_file)")],
        ),
        (
            {"ntfy": {"token": "tk", "username": "u", "password": "p"}},
            [(["paging", "ntfy", "username"], "at most one of token and username/password")],
        ),
        (
            {"webhook": {"headers": {"X-A": 1}}},
            [(["paging", "webhook", "headers", "X-A"], "Input should be a valid string")],
        ),
        (["twilio"], [(["paging"], "must be a mapping")]),
    ],
)  # fmt: skip
def test_paging_problems_name_their_keys(raw: Any, expected: Problems) -> None:
    _, problems = build(raw)
    assert problems == expected


def test_an_unreadable_token_file_is_a_problem_at_its_key(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    empty = tmp_path / "empty"
    empty.write_text("\n")
    providers, problems = build(
        {
            "twilio": {"account_sid": SID, "auth_token_file": str(missing), "from": "+1"},
            "slack": {"bot_token": "xoxb-1", "signing_secret_file": str(empty)},
            "ntfy": {"username": "u", "password_file": str(missing)},
        }
    )
    unreadable = f"cannot read {missing}: No such file or directory"
    assert problems == [
        (["paging", "twilio", "auth_token_file"], unreadable),
        (["paging", "slack", "signing_secret_file"], f"{empty} is empty"),
        (["paging", "ntfy", "password_file"], unreadable),
    ]
    assert providers.missing[ContactMethod.SMS] == "paging.twilio has configuration problems"
    assert providers.missing[ContactMethod.VOICE] == "paging.twilio has configuration problems"
    assert providers.missing[ContactMethod.SLACK] == "paging.slack has configuration problems"
    assert providers.missing[ContactMethod.PUSH] == "paging.ntfy has configuration problems"
    assert ContactMethod.WEBHOOK in providers.senders
    assert providers.twilio_auth_token is None and providers.slack_signing_secret is None
