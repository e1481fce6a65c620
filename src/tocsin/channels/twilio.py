"""SMS and voice calls through Twilio's REST API (``/2010-04-01``).

Both POST form fields with HTTP Basic auth (account SID : auth token) under
``{base_url}/2010-04-01/Accounts/{sid}/``:

* ``Messages.json`` (SMS): ``To``, ``From`` or ``MessagingServiceSid``, ``Body``. The body is
  ``sms_text``: the subject, the body shortened so the whole text stays within Twilio's 1600
  characters, the reply instructions when the message has a reply code (once: a line of the
  body saying the same is dropped), and a link.
* ``Calls.json`` (voice): ``To``, ``From``, ``Twiml``: the call says the subject and a short
  body and, when the message has an ``ack`` action, gathers one digit ("Press 4 to
  acknowledge.") and POSTs it to the ack link (Twilio sends ``Digits`` as a form field).

Twilio answers 201 with the created resource, whose ``sid`` is kept in the result; a failure
is JSON ``{"code": 21211, "message": "...", "more_info": "...", "status": 400}``, reported as
``Twilio error 21211: ...``. As everywhere, 5xx, 429 and transport failures are retried, other
4xx are not, and the auth token never appears in an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from xml.sax.saxutils import escape, quoteattr

import httpx

from tocsin.channels.contact import ContactMethod, PersonalMessage
from tocsin.channels.notification import SendResult, transport_failure

__all__ = [
    "TWILIO_API",
    "TwilioAccount",
    "TwilioSms",
    "TwilioVoice",
    "reply_line",
    "sms_text",
    "twiml",
]

TWILIO_API = "https://api.twilio.com"
#: Twilio refuses a longer ``Body``.
MAX_SMS = 1600
#: What a call reads of the subject and body; Twilio takes at most 4000 characters of
#: ``Twiml`` (escaping can make a character five).
MAX_SPOKEN_SUBJECT = 200
MAX_SPOKEN_BODY = 400
ELLIPSIS = "…"


def _shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis if it was cut."""
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    return text[: limit - 1].rstrip() + ELLIPSIS


def reply_line(code: str) -> str:
    return f'Reply "4 {code}" to acknowledge, "6 {code}" to resolve'


def _body(message: PersonalMessage) -> str:
    """The body without a reply instruction of its own (the SMS puts it last, once; a call
    offers its keypad instead)."""
    body = message.body.strip()
    if not message.reply_code:
        return body
    reply = reply_line(message.reply_code)
    return "\n".join(
        line for line in body.splitlines() if line.strip().rstrip(".") != reply
    ).strip()


def sms_text(message: PersonalMessage, limit: int = MAX_SMS) -> str:
    """The text of an SMS, at most ``limit`` characters: subject, body (shortened to fit),
    ``Reply "4 <code>" to acknowledge, "6 <code>" to resolve`` and the link to open."""
    tail = [reply_line(message.reply_code)] if message.reply_code else []
    link = next((a.url for a in message.actions if a.kind == "open"), None) or message.link
    if link:
        tail.append(link)
    subject = message.subject.strip()
    head = [subject] if subject else []
    fixed = "\n".join([*head, *tail])
    if len(fixed) > limit:  # keep the reply code and the link whole: shorten the subject
        room = limit - len("\n".join(tail)) - (1 if tail else 0)
        if not subject or room < 1:
            return _shorten(fixed, limit)
        return "\n".join([_shorten(subject, room), *tail])
    body = _body(message)
    room = limit - len(fixed) - (1 if fixed else 0)  # the newline before the body
    if body and room >= 2:
        head.append(_shorten(body, room))
    return "\n".join([*head, *tail])


def twiml(message: PersonalMessage) -> str:
    """What a call says: the subject, a short body, the ack prompt, goodbye (XML-escaped)."""
    subject = _shorten(" ".join(message.subject.split()), MAX_SPOKEN_SUBJECT)
    parts = ["<Response>", f"<Say>{escape(subject)}</Say>"]
    body = " ".join(_body(message).split())
    if body:
        parts.append(f"<Say>{escape(_shorten(body, MAX_SPOKEN_BODY))}</Say>")
    ack = next((a for a in message.actions if a.kind == "ack"), None)
    if ack is not None:
        parts.append(
            f'<Gather numDigits="1" action={quoteattr(ack.url)} method="POST">'
            "<Say>Press 4 to acknowledge.</Say></Gather>"
        )
    parts.append("<Say>Goodbye.</Say></Response>")
    return "".join(parts)


@dataclass(frozen=True)
class TwilioAccount:
    """The account both senders post with."""

    account_sid: str
    auth_token: str = field(repr=False)
    base_url: str = TWILIO_API
    #: Seconds; None uses the client's.
    timeout: float | None = None

    def url(self, resource: str) -> str:
        return f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/{resource}"

    def create(self, client: httpx.Client, resource: str, form: Mapping[str, str]) -> SendResult:
        """POST ``form`` to ``resource`` (``Messages.json``, ``Calls.json``); never raises."""
        try:
            response = client.post(
                self.url(resource),
                data=dict(form),
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout if self.timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            return transport_failure(exc, self._blank)
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> SendResult:
        data = _json(response)
        if response.is_success:
            return SendResult.success(response.status_code, sid=data.get("sid"))
        code = response.status_code
        if "message" in data or "code" in data:
            text = f"Twilio error {data.get('code', '?')}: {data.get('message', '')}".strip()
            text = f"HTTP {code}: {text}"
        else:
            text = f"HTTP {code}: {response.text[:500]}".strip()
        return SendResult.failure(
            self._blank(text), retryable=code >= 500 or code == 429, status_code=code
        )

    def _blank(self, text: str) -> str:
        return text.replace(self.auth_token, "<secret>") if self.auth_token else text


def _json(response: httpx.Response) -> Mapping[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, Mapping) else {}


@dataclass(frozen=True)
class TwilioSms:
    """SMS from ``from_`` (a Twilio number) or through a messaging service."""

    method: ClassVar[ContactMethod] = ContactMethod.SMS
    account: TwilioAccount
    from_: str | None = None
    messaging_service_sid: str | None = None

    def __post_init__(self) -> None:
        if not (self.from_ or self.messaging_service_sid):
            raise ValueError("Twilio SMS needs a from number or a messaging service sid")

    def send(self, address: str, message: PersonalMessage, client: httpx.Client) -> SendResult:
        form = {"To": address, "Body": sms_text(message)}
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            assert self.from_ is not None
            form["From"] = self.from_
        if message.status_url:
            form["StatusCallback"] = message.status_url
        return self.account.create(client, "Messages.json", form)


@dataclass(frozen=True)
class TwilioVoice:
    """A phone call from ``from_`` that reads the message and offers to acknowledge."""

    method: ClassVar[ContactMethod] = ContactMethod.VOICE
    account: TwilioAccount
    from_: str

    def send(self, address: str, message: PersonalMessage, client: httpx.Client) -> SendResult:
        form = {"To": address, "From": self.from_, "Twiml": twiml(message)}
        if message.status_url:
            form["StatusCallback"] = message.status_url
        return self.account.create(client, "Calls.json", form)
