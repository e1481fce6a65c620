from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

from tocsin.integrations.slack_inbound import (
    SlackAction,
    SlackRequestError,
    parse_interaction,
    slack_signature,
    verify_slack_request,
)
from tocsin.integrations.twilio_inbound import (
    SmsReply,
    parse_sms_reply,
    twilio_signature,
    valid_twilio_request,
)

# -- Twilio ---------------------------------------------------------------------------------

TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
# The worked example of Twilio's webhook security guide
# (https://www.twilio.com/docs/usage/security#validating-requests).
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
DOC_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
# twilio-python's tests/unit/test_request_validator.py: same URL and token, other numbers.
SDK_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
SDK_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilio_documented_example() -> None:
    assert twilio_signature(TWILIO_TOKEN, TWILIO_URL, DOC_PARAMS) == DOC_SIGNATURE
    assert valid_twilio_request(TWILIO_TOKEN, TWILIO_URL, DOC_PARAMS, DOC_SIGNATURE)


def test_twilio_reference_library_vector() -> None:
    assert twilio_signature(TWILIO_TOKEN, TWILIO_URL, SDK_PARAMS) == SDK_SIGNATURE


def test_twilio_repeated_parameters_sorted_and_deduplicated() -> None:
    # twilio-python's vector for Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234
    params = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234", "1234"]}
    assert twilio_signature(TWILIO_TOKEN, TWILIO_URL, params) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert twilio_signature(TWILIO_TOKEN, TWILIO_URL, {**params, "Digits": ("1234", "5678")}) == (
        "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    )


def test_twilio_signature_from_first_principles() -> None:
    # Written out by hand: names sorted (Body < From < To), each name then its value, no
    # separators, appended to the URL; HMAC-SHA1 keyed with the token; standard base64.
    signed = "https://tocsin.example.com/sms/inboundBody4 A7From+15550001111To+15552223333"
    digest = hmac.new(b"s3cret", signed.encode(), hashlib.sha1).digest()
    expected = base64.b64encode(digest).decode()
    params = {"To": "+15552223333", "From": "+15550001111", "Body": "4 A7"}
    assert twilio_signature("s3cret", "https://tocsin.example.com/sms/inbound", params) == expected


SMS_URL = "https://tocsin.example.com/sms/inbound"
SMS_PARAMS = {"From": "+15550001111", "To": "+15552223333", "Body": "ack 12", "MessageSid": "SM1"}
SMS_SIGNATURE = twilio_signature("s3cret", SMS_URL, SMS_PARAMS)


@pytest.mark.parametrize(
    ("token", "url", "params", "signature"),
    [
        ("s3cret", SMS_URL, {**SMS_PARAMS, "Body": "resolve 12"}, SMS_SIGNATURE),
        ("s3cret", SMS_URL, {**SMS_PARAMS, "Extra": ""}, SMS_SIGNATURE),
        ("s3cret", SMS_URL, {k: v for k, v in SMS_PARAMS.items() if k != "Body"}, SMS_SIGNATURE),
        (
            "s3cret",
            SMS_URL,
            {**SMS_PARAMS, "From": ["+15550001111", "+15559999999"]},
            SMS_SIGNATURE,
        ),
        ("s3cret", SMS_URL + "?x=1", SMS_PARAMS, SMS_SIGNATURE),
        ("s3cret", SMS_URL.replace("https", "http"), SMS_PARAMS, SMS_SIGNATURE),
        ("s3cret", SMS_URL.replace("inbound", "Inbound"), SMS_PARAMS, SMS_SIGNATURE),
        ("s3cret", "https://evil.example.com/sms/inbound", SMS_PARAMS, SMS_SIGNATURE),
        ("other", SMS_URL, SMS_PARAMS, SMS_SIGNATURE),
        ("", SMS_URL, SMS_PARAMS, SMS_SIGNATURE),
        ("s3cret", SMS_URL, SMS_PARAMS, ""),
        ("s3cret", SMS_URL, SMS_PARAMS, SMS_SIGNATURE[:-1]),
        ("s3cret", SMS_URL, SMS_PARAMS, SMS_SIGNATURE + " "),
        ("s3cret", SMS_URL, SMS_PARAMS, SMS_SIGNATURE.lower()),
        ("s3cret", SMS_URL, SMS_PARAMS, "ü" + SMS_SIGNATURE[1:]),
    ],
)
def test_twilio_tampered_requests_are_refused(
    token: str, url: str, params: dict, signature: str
) -> None:
    assert valid_twilio_request("s3cret", SMS_URL, SMS_PARAMS, SMS_SIGNATURE)
    assert not valid_twilio_request(token, url, params, signature)


@pytest.mark.parametrize(
    ("url", "signature"),
    [
        # Values from twilio-python's tests: a URL without a port, signed with the default
        # port Twilio sometimes adds ...
        (TWILIO_URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),  # https://mycompany.com:443/...
        (TWILIO_URL.replace("https", "http"), "0ZXoZLH/DfblKGATFgpif+LLRf4="),  # http ...:80
        # ... a non-default port, signed as given ...
        (
            TWILIO_URL.replace(".com", ".com:1234").replace("https", "http"),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
        ),
        # ... and a URL with the default port, signed without it.
        (TWILIO_URL.replace(".com", ".com:443"), SDK_SIGNATURE),
    ],
)
def test_twilio_default_port_is_optional(url: str, signature: str) -> None:
    assert valid_twilio_request(TWILIO_TOKEN, url, SDK_PARAMS, signature)


def test_twilio_non_default_port_must_be_signed() -> None:
    # twilio-python also drops a non-default port (accepts this); Tocsin does not.
    url = TWILIO_URL.replace(".com", ".com:1234")
    assert not valid_twilio_request(TWILIO_TOKEN, url, SDK_PARAMS, SDK_SIGNATURE)
    # ... and does not invent the wrong default port for a scheme.
    http_443 = twilio_signature(TWILIO_TOKEN, "http://mycompany.com:443/myapp.php", {})
    assert not valid_twilio_request(TWILIO_TOKEN, "http://mycompany.com/myapp.php", {}, http_443)


@pytest.mark.parametrize(
    ("configured", "signed_as"),
    [
        ("https://user:pw@tocsin.example.com/sms", "https://user:pw@tocsin.example.com:443/sms"),
        ("https://user:pw@tocsin.example.com:443/sms", "https://user:pw@tocsin.example.com/sms"),
        ("https://[2001:db8::1]/sms", "https://[2001:db8::1]:443/sms"),
        ("https://[2001:db8::1]:443/sms", "https://[2001:db8::1]/sms"),
    ],
)
def test_twilio_port_toggling_keeps_userinfo_and_ipv6(configured: str, signed_as: str) -> None:
    signature = twilio_signature("s3cret", signed_as, SMS_PARAMS)
    assert valid_twilio_request("s3cret", configured, SMS_PARAMS, signature)


def test_twilio_json_bodies_are_refused() -> None:
    # For JSON, Twilio signs only the URL (which carries bodySHA256); without checking the body
    # hash a replayed signature would pass with any body.
    url = TWILIO_URL + "&bodySHA256=" + hashlib.sha256(b'{"a":1}').hexdigest()
    signature = twilio_signature(TWILIO_TOKEN, url, {})
    assert not valid_twilio_request(TWILIO_TOKEN, url, {}, signature)


@pytest.mark.parametrize(
    ("body", "reply"),
    [
        ("4 123", SmsReply("ack", "123")),
        ("4", SmsReply("ack", None)),
        ("ack 123", SmsReply("ack", "123")),
        ("ACK", SmsReply("ack", None)),
        ("Ack", SmsReply("ack", None)),
        ("  ack\t 7Qx2 \n", SmsReply("ack", "7Qx2")),
        ("6 123", SmsReply("resolve", "123")),
        ("6", SmsReply("resolve", None)),
        ("resolve 123", SmsReply("resolve", "123")),
        ("RESOLVE", SmsReply("resolve", None)),
        ("Resolve AB12", SmsReply("resolve", "AB12")),
        ("", SmsReply("help", None)),
        ("   ", SmsReply("help", None)),
        ("help", SmsReply("help", None)),
        ("5 123", SmsReply("help", None)),
        ("4123", SmsReply("help", None)),
        ("ack123", SmsReply("help", None)),
        ("acknowledge 123", SmsReply("help", None)),
        ("ack 123 456", SmsReply("help", None)),
        ("ack #123", SmsReply("help", None)),
        ("ack 12-3", SmsReply("help", None)),
        ("ack " + "1" * 17, SmsReply("help", None)),
        ("resolved", SmsReply("help", None)),
        ("ok thanks", SmsReply("help", None)),
    ],
)
def test_sms_replies(body: str, reply: SmsReply) -> None:
    assert parse_sms_reply(body) == reply


# -- Slack ----------------------------------------------------------------------------------

# The worked example of https://api.slack.com/authentication/verifying-requests-from-slack
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TIMESTAMP = "1531420618"
SLACK_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
SLACK_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
SLACK_SENT = datetime.fromtimestamp(1531420618, UTC)
SLACK_HEADERS = {"X-Slack-Request-Timestamp": SLACK_TIMESTAMP, "X-Slack-Signature": SLACK_SIGNATURE}


def test_slack_documented_example() -> None:
    assert slack_signature(SLACK_SECRET, SLACK_TIMESTAMP, SLACK_BODY) == SLACK_SIGNATURE
    verify_slack_request(SLACK_SECRET, SLACK_HEADERS, SLACK_BODY, SLACK_SENT)


def test_slack_signature_from_first_principles() -> None:
    body = b'payload={"type":"block_actions"}'
    mac = hmac.new(b"secret", b"v0:1700000000:" + body, hashlib.sha256).hexdigest()
    assert slack_signature("secret", "1700000000", body) == "v0=" + mac


@pytest.mark.parametrize(
    "delay",
    [
        timedelta(0),
        timedelta(seconds=30),
        timedelta(minutes=4, seconds=59),
        timedelta(minutes=5),
        -timedelta(minutes=5),  # the sender's clock a little ahead
        -timedelta(seconds=10),
    ],
)
def test_slack_accepts_within_the_window(delay: timedelta) -> None:
    verify_slack_request(SLACK_SECRET, SLACK_HEADERS, SLACK_BODY, SLACK_SENT + delay)


@pytest.mark.parametrize(
    ("headers", "body", "now", "message"),
    [
        (SLACK_HEADERS, SLACK_BODY, SLACK_SENT + timedelta(minutes=6), "too old"),
        (SLACK_HEADERS, SLACK_BODY, SLACK_SENT + timedelta(minutes=5, seconds=1), "too old"),
        (SLACK_HEADERS, SLACK_BODY, SLACK_SENT + timedelta(days=30), "too old"),
        (SLACK_HEADERS, SLACK_BODY, SLACK_SENT - timedelta(minutes=6), "future"),
        (SLACK_HEADERS, SLACK_BODY + b"&x=1", SLACK_SENT, "does not match"),
        (SLACK_HEADERS, SLACK_BODY.replace(b"U2CERLKJA", b"U2CERLKJB"), SLACK_SENT, "not match"),
        (
            {**SLACK_HEADERS, "X-Slack-Signature": SLACK_SIGNATURE[:-1] + "4"},
            SLACK_BODY,
            SLACK_SENT,
            "does not match",
        ),
        (
            {**SLACK_HEADERS, "X-Slack-Signature": SLACK_SIGNATURE.upper()},
            SLACK_BODY,
            SLACK_SENT,
            "does not match",
        ),
        (
            {**SLACK_HEADERS, "X-Slack-Signature": "v0=é"},
            SLACK_BODY,
            SLACK_SENT,
            "does not match",
        ),
        (
            # A fresh timestamp with the old signature: the timestamp is signed too.
            {**SLACK_HEADERS, "X-Slack-Request-Timestamp": "1531420619"},
            SLACK_BODY,
            SLACK_SENT,
            "does not match",
        ),
        ({}, SLACK_BODY, SLACK_SENT, "missing header X-Slack-Request-Timestamp and X-Slack-Sig"),
        (
            {"X-Slack-Signature": SLACK_SIGNATURE},
            SLACK_BODY,
            SLACK_SENT,
            "missing header X-Slack-Request-Timestamp$",
        ),
        (
            {"X-Slack-Request-Timestamp": SLACK_TIMESTAMP},
            SLACK_BODY,
            SLACK_SENT,
            "missing header X-Slack-Signature$",
        ),
        (
            {**SLACK_HEADERS, "X-Slack-Signature": ""},
            SLACK_BODY,
            SLACK_SENT,
            "missing header X-Slack-Signature",
        ),
        (
            {**SLACK_HEADERS, "X-Slack-Request-Timestamp": "soon"},
            SLACK_BODY,
            SLACK_SENT,
            "not epoch seconds",
        ),
        (
            {**SLACK_HEADERS, "X-Slack-Request-Timestamp": "1531420618.0"},
            SLACK_BODY,
            SLACK_SENT,
            "not epoch seconds",
        ),
        (
            {**SLACK_HEADERS, "X-Slack-Request-Timestamp": "-1"},
            SLACK_BODY,
            SLACK_SENT,
            "not epoch seconds",
        ),
        (
            {**SLACK_HEADERS, "X-Slack-Request-Timestamp": " 1531420618"},
            SLACK_BODY,
            SLACK_SENT,
            "not epoch seconds",
        ),
        (
            {**SLACK_HEADERS, "X-Slack-Request-Timestamp": "9" * 40},
            SLACK_BODY,
            SLACK_SENT,
            "not epoch seconds",
        ),
    ],
)
def test_slack_refuses(headers: dict, body: bytes, now: datetime, message: str) -> None:
    with pytest.raises(SlackRequestError, match=message):
        verify_slack_request(SLACK_SECRET, headers, body, now)


def test_slack_wrong_secret_is_refused() -> None:
    with pytest.raises(SlackRequestError, match="does not match"):
        verify_slack_request("another-secret", SLACK_HEADERS, SLACK_BODY, SLACK_SENT)


def test_slack_headers_are_case_insensitive() -> None:
    lower = {k.lower(): v for k, v in SLACK_HEADERS.items()}
    verify_slack_request(SLACK_SECRET, lower, SLACK_BODY, SLACK_SENT)
    mixed = {"x-SLACK-request-timestamp": SLACK_TIMESTAMP, "X-SLACK-SIGNATURE": SLACK_SIGNATURE}
    verify_slack_request(SLACK_SECRET, mixed, SLACK_BODY, SLACK_SENT)


def test_slack_tolerance_is_a_parameter() -> None:
    now = SLACK_SENT + timedelta(minutes=2)
    verify_slack_request(SLACK_SECRET, SLACK_HEADERS, SLACK_BODY, now)
    with pytest.raises(SlackRequestError, match="too old"):
        verify_slack_request(SLACK_SECRET, SLACK_HEADERS, SLACK_BODY, now, timedelta(minutes=1))


def test_slack_error_is_a_value_error() -> None:
    assert issubclass(SlackRequestError, ValueError)


# A block_actions payload as Slack sends it for a button on a channel message (shape from
# https://api.slack.com/reference/interaction-payloads/block-actions).
BLOCK_ACTIONS: dict[str, Any] = {
    "type": "block_actions",
    "user": {"id": "U061F7AUR", "username": "ann", "name": "ann", "team_id": "T0CAG"},
    "api_app_id": "A0CA5",
    "token": "Shh_its_a_seekrit",
    "container": {
        "type": "message",
        "message_ts": "1767326126.896109",
        "channel_id": "C0CA5",
        "is_ephemeral": False,
    },
    "trigger_id": "12466734323.1395872398",
    "team": {"id": "T0CAG", "domain": "acme"},
    "enterprise": None,
    "is_enterprise_install": False,
    "channel": {"id": "C0CA5", "name": "incidents"},
    "message": {
        "type": "message",
        "user": "U0BOT",
        "ts": "1767326126.896109",
        "bot_id": "B0BOT",
        "text": "[FIRING] DB down",
        "blocks": [
            {
                "type": "actions",
                "block_id": "incident-42",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "tocsin.ack",
                        "text": {"type": "plain_text", "text": "Acknowledge"},
                        "value": "42",
                    }
                ],
            }
        ],
    },
    "state": {"values": {}},
    "response_url": "https://hooks.slack.com/actions/T0CAG/1234567890/abcdef",
    "actions": [
        {
            "type": "button",
            "block_id": "incident-42",
            "action_id": "tocsin.ack",
            "text": {"type": "plain_text", "text": "Acknowledge", "emoji": True},
            "value": "42",
            "action_ts": "1767326130.289415",
        }
    ],
}


def form(payload: object) -> bytes:
    return urlencode({"payload": orjson.dumps(payload).decode()}).encode()


def test_parse_block_actions() -> None:
    assert parse_interaction(form(BLOCK_ACTIONS)) == SlackAction(
        action_id="tocsin.ack",
        value="42",
        slack_user_id="U061F7AUR",
        response_url="https://hooks.slack.com/actions/T0CAG/1234567890/abcdef",
        channel_id="C0CA5",
        message_ts="1767326126.896109",
        trigger_id="12466734323.1395872398",
    )


def test_parse_block_actions_from_the_container_alone() -> None:
    # An ephemeral message: no channel or message objects, only the container.
    payload = {k: v for k, v in BLOCK_ACTIONS.items() if k not in ("channel", "message")}
    payload["container"] = {
        "type": "message",
        "message_ts": "1767326999.000100",
        "channel_id": "C0OTHER",
        "is_ephemeral": True,
    }
    action = parse_interaction(form(payload))
    assert action is not None
    assert (action.channel_id, action.message_ts) == ("C0OTHER", "1767326999.000100")


def test_parse_block_actions_from_a_view() -> None:
    payload = {k: v for k, v in BLOCK_ACTIONS.items() if k not in ("channel", "message")}
    del payload["response_url"]
    payload["container"] = {"type": "view", "view_id": "V0PKB1ZFV"}
    payload["actions"] = [
        {
            "type": "static_select",
            "action_id": "tocsin.severity",
            "block_id": "b",
            "selected_option": {"text": {"type": "plain_text", "text": "High"}, "value": "high"},
            "action_ts": "1767326130.289415",
        }
    ]
    assert parse_interaction(form(payload)) == SlackAction(
        "tocsin.severity", "high", "U061F7AUR", None, None, None, "12466734323.1395872398"
    )


def test_a_button_without_a_value() -> None:
    payload = {**BLOCK_ACTIONS, "actions": [{"type": "button", "action_id": "tocsin.open"}]}
    action = parse_interaction(form(payload))
    assert action is not None
    assert (action.action_id, action.value) == ("tocsin.open", "")


@pytest.mark.parametrize("kind", ["view_submission", "view_closed", "shortcut", "message_action"])
def test_other_interactions_are_not_actions(kind: str) -> None:
    assert parse_interaction(form({"type": kind, "user": {"id": "U1"}})) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "no single payload"),
        (b"token=abc", "no single payload"),
        (form(BLOCK_ACTIONS) + b"&" + form(BLOCK_ACTIONS), "no single payload"),
        (b"payload=%FF%FE", "UTF-8"),
        (b"\xff\xfe", "UTF-8"),
        (orjson.dumps(BLOCK_ACTIONS), "no single payload"),  # raw JSON, not a form
        (b"payload={not json", "not JSON"),
        (form([BLOCK_ACTIONS]), "not an object"),
        (form({"actions": BLOCK_ACTIONS["actions"]}), "not an object with a type"),
        (form({**BLOCK_ACTIONS, "type": 7}), "not an object with a type"),
        (form({**BLOCK_ACTIONS, "actions": []}), "actions"),
        (form({**BLOCK_ACTIONS, "actions": "tocsin.ack"}), "actions"),
        (form({**BLOCK_ACTIONS, "actions": ["tocsin.ack"]}), "actions"),
        (form({k: v for k, v in BLOCK_ACTIONS.items() if k != "actions"}), "actions"),
        (form({**BLOCK_ACTIONS, "actions": [{"value": "42"}]}), r"actions\[0\].action_id"),
        (form({**BLOCK_ACTIONS, "actions": [{"action_id": "a", "value": 42}]}), "value"),
        (form({k: v for k, v in BLOCK_ACTIONS.items() if k != "user"}), "payload.user.id"),
        (form({**BLOCK_ACTIONS, "user": "U061F7AUR"}), "payload.user is not an object"),
        (form({**BLOCK_ACTIONS, "user": {"id": ""}}), "payload.user.id"),
        (form({**BLOCK_ACTIONS, "channel": ["C0CA5"]}), "payload.channel is not an object"),
    ],
)
def test_malformed_interactions(body: bytes, message: str) -> None:
    with pytest.raises(SlackRequestError, match=message):
        parse_interaction(body)
