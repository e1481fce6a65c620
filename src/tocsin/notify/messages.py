"""Messages to one person: put in the ``messages`` table with their send as a timer, in the
transaction that decided on them; sent by email with retries (other contact methods join as
paging brings them)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tocsin.channels.contact import Action, ContactSender, PersonalMessage
from tocsin.channels.notification import SendResult
from tocsin.channels.personal_email import EmailContact, PersonalMail
from tocsin.channels.providers import Providers
from tocsin.config.compile import RoutingConfig
from tocsin.domain.drills import mark
from tocsin.domain.incidents import Status
from tocsin.domain.retry import backoff, jittered
from tocsin.domain.users import ContactMethod, User
from tocsin.engine.runner import Again
from tocsin.outbound import Outbound, guarded_client
from tocsin.store import incidents as incident_store
from tocsin.store import messages as store
from tocsin.store import timers as timer_store
from tocsin.store.messages import Message
from tocsin.store.timers import Timer

__all__ = ["MESSAGE", "MessageJob", "post"]

#: The timer kind of a message's sends; its key is the message's id.
MESSAGE = "message"
MAX_ATTEMPTS = 12
RETRY_BASE = timedelta(seconds=5)
RETRY_CAP = timedelta(minutes=10)
#: Pages are retried sooner: somebody is waiting to be woken.
PAGE_RETRY_BASE = timedelta(seconds=2)
PAGE_RETRY_CAP = timedelta(minutes=1)
#: The actor of what the engine does by itself.
ENGINE = "tocsin"


def post(
    conn: Connection,
    users: Mapping[str, User],
    *,
    user: str,
    kind: str,
    subject: str,
    body: str,
    dedup: str,
    now: datetime,
    method: ContactMethod = ContactMethod.EMAIL,
    incident_id: int | None = None,
    details: Mapping[str, Any] | None = None,
    drill: bool | None = None,
) -> int | None:
    """Create the message (once per ``dedup``) and schedule its send over ``method``; its
    id, or None when it already existed. A person without an address for the method gets a
    failed message saying so. Every message about a drill is marked DRILL (and carries
    ``drill`` in its details, for the senders that say so in their own field): ``drill``
    is whether the incident is one, given by callers that have it (None: read it here)."""
    if drill is None and incident_id is not None:
        about = incident_store.get(conn, incident_id)
        drill = about is not None and about.drill
    if drill and incident_id is not None:
        subject, body = mark(subject, body)
        details = {**(details or {}), "drill": True}
    person = users.get(user)
    address = person.address(method) if person is not None else None
    error = None
    if person is None:
        error = f"no user {user!r} in the configuration"
    elif not address:
        error = f"user {user!r} has no {method.value} address"
    message_id = store.create(
        conn,
        dedup_key=hashlib.sha256(dedup.encode()).hexdigest(),
        user=user,
        kind=kind,
        subject=subject,
        body=body,
        address=address,
        now=now,
        status=store.FAILED if error else store.PENDING,
        last_error=error,
        method=method.value,
        incident_id=incident_id,
        details=details,
    )
    if message_id is not None and error is None:
        timer_store.schedule(conn, MESSAGE, str(message_id), now)
    return message_id


@dataclass(frozen=True)
class _Work:
    message: Message
    sender: ContactSender | str
    started_at: datetime


class MessageJob:
    """The engine's job for ``message`` timers: sends over the message's contact method;
    a page whose incident was acknowledged meanwhile is cancelled instead, and what became
    of a page goes on its incident's timeline."""

    def __init__(
        self,
        routing: Callable[[], RoutingConfig | None],
        *,
        timeout: float = 10.0,
        outbound: Outbound | None = None,
    ) -> None:
        self.routing = routing
        self._mail: tuple[RoutingConfig | None, PersonalMail | str] | None = None
        self.client = guarded_client(outbound or Outbound.from_environment(), timeout=timeout)

    def close(self) -> None:
        self.client.close()

    def _mailer(self) -> PersonalMail | str:
        config = self.routing()
        if self._mail is None or self._mail[0] is not config:
            mail = PersonalMail.from_globals(config.globals) if config else "no configuration"
            self._mail = (config, mail)
        return self._mail[1]

    def sender(self, method: ContactMethod) -> ContactSender | str:
        """What sends over ``method`` under the configuration in force, or why nothing can."""
        if method is ContactMethod.EMAIL:
            mail = self._mailer()
            return mail if isinstance(mail, str) else EmailContact(mail)
        config = self.routing()
        providers: Providers | None = config.providers if config is not None else None
        if providers is None:
            return f"no provider for {method.value}: configure paging"
        return providers.sender(method)

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> _Work | None:
        message = store.get(conn, int(timer.key))
        if message is None or message.status != store.PENDING:
            return None
        if message.kind == "page" and message.incident_id is not None:
            incident = incident_store.get(conn, message.incident_id)
            if incident is None or incident.status is not Status.TRIGGERED:
                return None  # acknowledged or resolved before it went out; cancelled below
        return _Work(message, self.sender(ContactMethod(message.method)), now)

    def perform(self, work: _Work) -> SendResult:
        if isinstance(work.sender, str):
            return SendResult.failure(work.sender, retryable=False)
        m = work.message
        assert m.address is not None
        try:
            return work.sender.send(m.address, personal_message(m, work.started_at), self.client)
        except Exception as exc:  # a bug must not lose the message: try again
            return SendResult.failure(f"{type(exc).__name__}: {exc}")

    def complete(
        self, conn: Connection, timer: Timer, work: _Work, result: SendResult, now: datetime
    ) -> Again | None:
        m = work.message
        attempts = m.attempts + 1
        if result.ok:
            current = store.get(conn, m.id)  # a delivery receipt may have come first
            store.set_status(
                conn,
                m.id,
                status=store.SENT,
                attempts=attempts,
                sent_at=now,
                details={
                    **(current.details if current else m.details),
                    **{f"provider_{k}": v for k, v in result.details.items()},
                },
            )
            self._timeline(conn, m, now, "notified", f"Sent {m.method} to {m.user}", attempts)
            return None
        if not result.retryable or attempts >= MAX_ATTEMPTS:
            store.set_status(
                conn, m.id, status=store.FAILED, attempts=attempts, last_error=result.error
            )
            self._timeline(
                conn,
                m,
                now,
                "notify-failed",
                f"{m.method} to {m.user} failed: {result.error}",
                attempts,
            )
            return None
        store.set_status(conn, m.id, attempts=attempts, last_error=result.error)
        base, cap = (
            (PAGE_RETRY_BASE, PAGE_RETRY_CAP) if m.kind == "page" else (RETRY_BASE, RETRY_CAP)
        )
        due = now + jittered(backoff(attempts, base=base, cap=cap), random.random())
        self._timeline(
            conn,
            m,
            now,
            "notify-retry",
            f"{m.method} to {m.user} failed (attempt {attempts}): {result.error}; "
            f"trying again in {round((due - now).total_seconds())}s",
            attempts,
        )
        return Again(due)

    def _timeline(
        self, conn: Connection, m: Message, now: datetime, kind: str, text: str, attempts: int
    ) -> None:
        if m.incident_id is None:
            return
        incident_store.add_event(
            conn,
            m.incident_id,
            now,
            kind,
            ENGINE,
            text,
            {"user": m.user, "method": m.method, "message": m.id, "attempts": attempts},
        )


def personal_message(m: Message, now: datetime) -> PersonalMessage:
    d = m.details
    return PersonalMessage(
        kind=m.kind,
        subject=m.subject,
        body=m.body,
        urgency=str(d.get("urgency", "high")),
        link=d.get("link"),
        actions=tuple(Action(a["kind"], a["label"], a["url"]) for a in d.get("actions", ())),
        idempotency_key=str(d.get("idempotency_key", f"tocsin-message-{m.id}")),
        incident_id=m.incident_id,
        reply_code=d.get("reply_code"),
        sent_at=now,
        status_url=d.get("status_url"),
        drill=bool(d.get("drill", False)),
    )


#: Twilio's final statuses of a message (MessageStatus) or a call (CallStatus).
_DELIVERED = {"delivered", "completed", "read"}
_UNDELIVERED = {"undelivered", "failed", "busy", "no-answer", "canceled"}


def delivery_receipt(conn: Connection, dedup: str, status: str, error: str, now: datetime) -> bool:
    """A provider's report of what became of a sent message (``dedup`` as given to
    ``post``); its incident's timeline learns it. False when no such message exists."""
    m = store.by_dedup_key(conn, hashlib.sha256(dedup.encode()).hexdigest())
    if m is None:
        return False
    status = status.lower()
    if status in _DELIVERED:
        store.set_status(conn, m.id, details={**m.details, "delivery": status})
        # A call "completed" may have reached voicemail: Twilio cannot tell without
        # answering-machine detection, so it is not called "answered".
        text = f"{m.method} to {m.user} " + ("delivered" if m.method == "sms" else "completed")
        kind = "delivered"
    elif status in _UNDELIVERED:
        store.set_status(
            conn, m.id, details={**m.details, "delivery": status}, last_error=error or status
        )
        text = f"{m.method} to {m.user} not delivered: {status}" + (f" ({error})" if error else "")
        kind = "undelivered"
    else:
        return True  # queued, ringing ...: not final
    if m.incident_id is not None:
        incident_store.add_event(
            conn, m.incident_id, now, kind, ENGINE, text, {"user": m.user, "method": m.method}
        )
    return True
