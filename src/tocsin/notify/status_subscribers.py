"""Telling the status page's subscribers: the outbox rows, and the engine's job that sends
them.

Each email or webhook is a row of ``status_notifications``, made in the transaction that
changed the page, with its send as a timer ("status.send", row id): a restart loses none,
and a failing receiver is retried with backoff (up to ``MAX_ATTEMPTS``) without delaying
the others. Email goes through the SMTP server of the configuration's ``global.smtp_*``
settings (as the other personal emails do), with a one-click unsubscribe link in the text
and in the RFC 8058 headers (``List-Unsubscribe`` and ``List-Unsubscribe-Post``).
A confirmation email is the only one an unconfirmed address ever gets, and it gets at most
one every ``CONFIRM_EVERY`` (6 hours), however often the form is sent.

Webhooks go only to public addresses unless allowed otherwise (``status_webhook_guard``),
checked again at each connection (``tocsin.outbound``); what is recorded of a receiver's
answer is its status code and reason phrase, never its body. A notification that cannot
even be composed (a name with a line break, from before names were checked) fails at once
with the reason, without retries.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
from sqlalchemy import Connection

from tocsin.channels.notification import SendResult, transport_failure
from tocsin.channels.personal_email import PersonalMail
from tocsin.config.compile import RoutingConfig
from tocsin.domain import status_links
from tocsin.domain.retry import backoff, jittered
from tocsin.engine.runner import Again
from tocsin.notify.status_webhook_guard import WebhookGuard
from tocsin.outbound import Outbound, guarded_client
from tocsin.store import status_subscribers as store
from tocsin.store import timers as timer_store
from tocsin.store.status_subscribers import EMAIL, WEBHOOK, Notification, Subscriber
from tocsin.store.timers import Timer

__all__ = [
    "CONFIRM_EVERY",
    "MAX_ATTEMPTS",
    "SEND",
    "Event",
    "Links",
    "StatusSendJob",
    "fan_out",
    "queue_confirmation",
]

#: The timer kind of a status notification's sends; its key is the row's id.
SEND = "status.send"
MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=10)
RETRY_CAP = timedelta(minutes=30)
#: At most one confirmation email to an address this often.
CONFIRM_EVERY = timedelta(hours=6)


class Links:
    """The page's address and the signed links in what subscribers get."""

    def __init__(self, base_url: str, key: Callable[[], bytes]) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key

    @property
    def page(self) -> str:
        return f"{self.base_url}/status"

    def incident(self, public_id: int) -> str:
        return f"{self.page}/incidents/{public_id}"

    def _link(self, path: str, action: str, s: Subscriber) -> str:
        token = status_links.sign(self.key(), action, s.ident)
        return f"{self.page}/{path}?{urlencode({'s': s.ident, 't': token})}"

    def confirm(self, s: Subscriber) -> str:
        return self._link("subscribe/confirm", status_links.CONFIRM, s)

    def unsubscribe(self, s: Subscriber) -> str:
        return self._link("unsubscribe", status_links.UNSUBSCRIBE, s)

    def check(self, action: str, s: Subscriber, token: str) -> bool:
        """A link of the address's subscriptions (whichever row it is now)."""
        return status_links.verify(self.key(), token, action, s.ident)

    def check_v1(self, action: str, s: Subscriber, token: str) -> bool:
        """A link sent before links were bound to the address (``?s=<row id>``)."""
        return status_links.verify_v1(self.key(), token, action, s.id, s.address)


@dataclass(frozen=True)
class Event:
    """Something subscribers hear about: one email text, one webhook body per subscriber."""

    #: Unique per event (the same event is never sent twice to one subscriber).
    key: str
    #: incident, maintenance or component
    kind: str
    subject: str
    text: str
    #: The webhook body, given the subscriber's unsubscribe link.
    webhook: Callable[[str], dict[str, Any]]
    #: Email subscribers hear of incidents and maintenances; component changes on their own
    #: go to webhooks only.
    email: bool = True
    #: The public incident it is about (deleting the incident cancels what is pending).
    public_id: int | None = None


def _schedule(conn: Connection, notification_id: int | None, now: datetime) -> None:
    if notification_id is not None:
        timer_store.schedule(conn, SEND, str(notification_id), now)


def queue_confirmation(
    conn: Connection, links: Links, s: Subscriber, page_name: str, now: datetime
) -> None:
    """The double opt-in email: nothing else is sent to ``s`` until its link is opened. The
    caller checks ``CONFIRM_EVERY`` (``store.claim_confirmation``)."""
    text = (
        f"Someone (hopefully you) asked to be told by email about incidents and maintenance "
        f"on {page_name}.\n\nConfirm the subscription: {links.confirm(s)}\n\n"
        "If it was not you, ignore this email: nothing more will be sent.\n"
    )
    notification_id = store.create_notification(
        conn,
        dedup=f"confirm/{uuid.uuid4().hex}",
        subscriber_id=s.id,
        kind="confirm",
        mode=EMAIL,
        address=s.address,
        subject=f"Confirm your subscription to {page_name}",
        body=text,
        unsubscribe_url=None,
        now=now,
    )
    _schedule(conn, notification_id, now)


def fan_out(conn: Connection, links: Links, event: Event, now: datetime) -> int:
    """An outbox row (and its send) per active subscriber; how many."""
    made = 0
    for s in store.subscribers(conn, active=True):
        if s.mode == EMAIL and not event.email:
            continue
        unsubscribe = links.unsubscribe(s)
        if s.mode == WEBHOOK:
            body = orjson.dumps(event.webhook(unsubscribe)).decode()
        else:
            body = f"{event.text.rstrip()}\n\n--\nUnsubscribe: {unsubscribe}\n"
        notification_id = store.create_notification(
            conn,
            dedup=f"{event.key}:{s.id}",
            subscriber_id=s.id,
            kind=event.kind,
            mode=s.mode,
            address=s.address,
            subject=event.subject,
            body=body,
            unsubscribe_url=unsubscribe,
            now=now,
            public_id=event.public_id,
        )
        _schedule(conn, notification_id, now)
        made += notification_id is not None
    return made


def compose(n: Notification, sender: str, now: datetime) -> EmailMessage:
    # Long lines are allowed up to RFC 5322's 998: the unsubscribe header stays on one line.
    msg = EmailMessage(policy=SMTP_POLICY.clone(max_line_length=998))
    msg["From"] = sender
    msg["To"] = n.address
    msg["Subject"] = n.subject
    msg["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "tocsin"
    msg["Message-Id"] = make_msgid(domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    if n.unsubscribe_url:
        # RFC 8058: a POST to this address (no confirmation page) unsubscribes.
        msg["List-Unsubscribe"] = f"<{n.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(n.body)
    return msg


@dataclass(frozen=True)
class _Work:
    notification: Notification
    mail: PersonalMail | str
    at: datetime


class StatusSendJob:
    """The engine's job for ``status.send`` timers."""

    def __init__(
        self,
        routing: Callable[[], RoutingConfig | None],
        *,
        timeout: float = 10.0,
        guard: WebhookGuard | None = None,
        outbound: Outbound | None = None,
    ) -> None:
        self.routing = routing
        self.guard = guard or WebhookGuard(allow_private=False)
        self.client = guarded_client(
            outbound or Outbound.from_environment(), guard=self.guard, timeout=timeout
        )
        self._mail: tuple[RoutingConfig | None, PersonalMail | str] | None = None

    def close(self) -> None:
        self.client.close()

    def _mailer(self) -> PersonalMail | str:
        config = self.routing()
        if self._mail is None or self._mail[0] is not config:
            mail = PersonalMail.from_globals(config.globals) if config else "no configuration"
            self._mail = (config, mail)
        return self._mail[1]

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> _Work | None:
        n = store.notification(conn, int(timer.key))
        if n is None or n.status != store.PENDING:
            return None
        return _Work(n, self._mailer() if n.mode == EMAIL else "", now)

    def perform(self, work: _Work) -> SendResult:
        n = work.notification
        try:
            if n.mode == WEBHOOK:
                return self._post(n)
            if isinstance(work.mail, str):
                return SendResult.failure(work.mail, retryable=False)
            try:
                msg = compose(n, work.mail.sender, work.at)
                data = msg.as_bytes()
            except (ValueError, TypeError, LookupError) as exc:
                # The same every time: trying again cannot help.
                return SendResult.failure(
                    f"cannot compose the email: {type(exc).__name__}: {exc}", retryable=False
                )
            sender = parseaddr(work.mail.sender)[1]
            return work.mail.channel.transmit(sender, [parseaddr(n.address)[1]], data)
        except Exception as exc:  # a bug must not lose the notification: try again
            return SendResult.failure(f"{type(exc).__name__}: {exc}")

    def _post(self, n: Notification) -> SendResult:
        if not n.address.startswith(("http://", "https://")):
            return SendResult.failure(f"{n.address!r} is not an http(s) URL", retryable=False)
        try:
            response = self.client.post(
                n.address,
                content=n.body.encode(),
                headers={"Content-Type": "application/json", "Idempotency-Key": f"status-{n.id}"},
            )
        except httpx.InvalidURL as exc:
            return SendResult.failure(f"not a valid URL: {exc}"[:200], retryable=False)
        except httpx.HTTPError as exc:  # refused by the guard, too large: not retried
            return transport_failure(exc, lambda text: text[:300])
        # Statuspage's rule: a 2xx is delivered, anything else (3xx too) failed; 5xx and
        # 429 are tried again, other answers say the request itself is refused. Of the
        # answer only its status is kept (the body is the receiver's, not ours to store).
        if response.is_success:
            return SendResult.success(response.status_code)
        code = response.status_code
        reason = " ".join(response.reason_phrase.split())[:60]
        return SendResult.failure(
            f"HTTP {code} {reason}".strip(),
            retryable=code >= 500 or code == 429,
            status_code=code,
        )

    def complete(
        self, conn: Connection, timer: Timer, work: _Work, result: SendResult, now: datetime
    ) -> Again | None:
        n = work.notification
        attempts = n.attempts + 1
        if result.ok:
            store.set_notification(
                conn, n.id, status=store.SENT, attempts=attempts, sent_at=now, last_error=None
            )
            return None
        if not result.retryable or attempts >= MAX_ATTEMPTS:
            store.set_notification(
                conn, n.id, status=store.FAILED, attempts=attempts, last_error=result.error
            )
            return None
        store.set_notification(conn, n.id, attempts=attempts, last_error=result.error)
        delay = backoff(attempts, base=RETRY_BASE, cap=RETRY_CAP)
        return Again(now + jittered(delay, random.random()))
