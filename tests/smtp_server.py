"""A recording SMTP server (aiosmtpd) on 127.0.0.1 for tests that send email."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.live_server import free_port

__all__ = ["Received", "Recorder", "smtp_server"]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool


class Recorder:
    """An aiosmtpd handler that keeps every accepted message and answers RCPT as told."""

    def __init__(self, rcpt_replies: dict[str, str] | None = None) -> None:
        self.received: list[Received] = []
        self.rcpt_replies = rcpt_replies or {}

    def sent_to(self, address: str) -> list[EmailMessage]:
        """The messages accepted for ``address``, oldest first."""
        return [r.message for r in self.received if address in r.rcpt_tos]

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message,
                # session.ssl: after STARTTLS; the transport: TLS from the first byte
                tls=session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                authenticated=bool(session.authenticated),
            )
        )
        return "250 2.0.0 queued"


@contextmanager
def smtp_server(recorder: Recorder | None = None, **kwargs: Any) -> Iterator[tuple[Recorder, int]]:
    recorder = recorder or Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()
