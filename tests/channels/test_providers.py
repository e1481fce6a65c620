"""Building the contact senders from the ``paging:`` section of tocsin.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.channels.contact_pages import (
    MESSAGES,
    SID,
    TOKEN,
    Problems,
    basic,
    deliver,
)
from tests.receiver_server import ReceiverServer
from tocsin.channels.contact import ContactMethod
from tocsin.channels.ntfy import NtfySender
from tocsin.channels.personal_webhook import WebhookSender
from tocsin.channels.providers import Providers, build_providers
from tocsin.channels.slack_dm import SlackDirect
from tocsin.channels.sms_gateway import GatewaySms
from tocsin.channels.twilio import TwilioAccount, TwilioSms, TwilioVoice


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
