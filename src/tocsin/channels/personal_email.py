"""Email to one person (handoff summaries, shift reminders, swaps), through the SMTP server
of the configuration's ``global.smtp_*`` settings, as Alertmanager's email receivers use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any, ClassVar

import httpx

from tocsin.channels.building import FieldError
from tocsin.channels.contact import ContactMethod, PersonalMessage
from tocsin.channels.email import EmailChannel, EmailConfig
from tocsin.channels.notification import SendResult

__all__ = ["EmailContact", "PersonalMail"]


class PersonalMail:
    def __init__(self, channel: EmailChannel, sender: str) -> None:
        self.channel = channel
        self.sender = sender

    @classmethod
    def from_globals(cls, globals_: Mapping[str, Any]) -> PersonalMail | str:
        """The mailer for these settings, or why there is none."""
        sender = globals_.get("smtp_from")
        if not globals_.get("smtp_smarthost") or not sender:
            return "no SMTP server: set global.smtp_smarthost and global.smtp_from"
        try:
            channel = EmailChannel.build(EmailConfig.model_validate({"to": sender}), globals_)
        except FieldError as exc:
            return f"global SMTP settings: {exc}"
        return cls(channel, str(sender))

    def send(self, to: str, subject: str, text: str, now: datetime) -> SendResult:
        envelope_from = parseaddr(self.sender)[1]
        msg = EmailMessage(policy=SMTP_POLICY)
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now)
        msg["Message-Id"] = make_msgid(domain=envelope_from.rpartition("@")[2] or "tocsin")
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(text)
        return self.channel.transmit(envelope_from, [parseaddr(to)[1]], msg.as_bytes())


class EmailContact:
    """Email as a contact method: a page's text, then its links."""

    method: ClassVar[ContactMethod] = ContactMethod.EMAIL

    def __init__(self, mail: PersonalMail) -> None:
        self.mail = mail

    def send(self, address: str, message: PersonalMessage, client: httpx.Client) -> SendResult:
        lines = [message.body, ""]
        lines += [f"{a.label}: {a.url}" for a in message.actions]
        assert message.sent_at is not None
        return self.mail.send(
            address, message.subject, "\n".join(lines).strip() + "\n", message.sent_at
        )
