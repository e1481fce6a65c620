"""Paging one person: Twilio SMS and voice calls, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.channels.contact_pages import (
    ACK,
    CALLS,
    MESSAGES,
    SID,
    SMS_TEXT,
    TOKEN,
    account,
    basic,
    deliver,
    form,
    page,
)
from tests.receiver_server import ReceiverServer, refused_url
from tocsin.channels.contact import PersonalMessage
from tocsin.channels.notification import SendResult
from tocsin.channels.twilio import TwilioAccount, TwilioSms, TwilioVoice, sms_text, twiml

# --- Twilio SMS -------------------------------------------------------------------------------


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
