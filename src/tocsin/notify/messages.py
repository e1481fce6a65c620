"""Messages to one person: put in the ``messages`` table with their send as a timer, in the
transaction that decided on them; sent by email with retries (other contact methods join as
paging brings them)."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.channels.notification import SendResult
from tocsin.channels.personal_email import PersonalMail
from tocsin.config.compile import RoutingConfig
from tocsin.domain.retry import backoff, jittered
from tocsin.domain.users import User
from tocsin.engine.runner import Again
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
) -> int | None:
    """Create the message (once per ``dedup``) and schedule its send; its id, or None when
    it already existed. A person without an address gets a failed message saying so."""
    person = users.get(user)
    error = None
    if person is None:
        error = f"no user {user!r} in the configuration"
    elif not person.email:
        error = f"user {user!r} has no email address"
    message_id = store.create(
        conn,
        dedup_key=hashlib.sha256(dedup.encode()).hexdigest(),
        user=user,
        kind=kind,
        subject=subject,
        body=body,
        address=person.email if person else None,
        now=now,
        status=store.FAILED if error else store.PENDING,
        last_error=error,
    )
    if message_id is not None and error is None:
        timer_store.schedule(conn, MESSAGE, str(message_id), now)
    return message_id


@dataclass(frozen=True)
class _Work:
    message: Message
    mail: PersonalMail | str
    started_at: datetime


class MessageJob:
    """The engine's job for ``message`` timers."""

    def __init__(self, routing: Callable[[], RoutingConfig | None]) -> None:
        self.routing = routing
        self._mail: tuple[RoutingConfig | None, PersonalMail | str] | None = None

    def _mailer(self) -> PersonalMail | str:
        config = self.routing()
        if self._mail is None or self._mail[0] is not config:
            mail = PersonalMail.from_globals(config.globals) if config else "no configuration"
            self._mail = (config, mail)
        return self._mail[1]

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> _Work | None:
        message = store.get(conn, int(timer.key))
        if message is None or message.status != store.PENDING:
            return None
        return _Work(message, self._mailer(), now)

    def perform(self, work: _Work) -> SendResult:
        if isinstance(work.mail, str):
            return SendResult.failure(work.mail)
        assert work.message.address is not None
        try:
            return work.mail.send(
                work.message.address, work.message.subject, work.message.body, work.started_at
            )
        except Exception as exc:  # a bug must not lose the message: try again
            return SendResult.failure(f"{type(exc).__name__}: {exc}")

    def complete(
        self, conn: Connection, timer: Timer, work: _Work, result: SendResult, now: datetime
    ) -> Again | None:
        attempts = work.message.attempts + 1
        if result.ok:
            store.set_status(
                conn, work.message.id, status=store.SENT, attempts=attempts, sent_at=now
            )
            return None
        if not result.retryable or attempts >= MAX_ATTEMPTS:
            store.set_status(
                conn,
                work.message.id,
                status=store.FAILED,
                attempts=attempts,
                last_error=result.error,
            )
            return None
        store.set_status(conn, work.message.id, attempts=attempts, last_error=result.error)
        return Again(
            now + jittered(backoff(attempts, base=RETRY_BASE, cap=RETRY_CAP), random.random())
        )
