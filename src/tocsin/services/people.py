"""People, teams and escalation policies as configured, and test pages: a notification over
each of a person's contact methods, sent now, with what each provider answered."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tocsin.channels.contact import PersonalMessage
from tocsin.channels.notification import SendResult
from tocsin.config.compile import RoutingConfig
from tocsin.domain.escalation import EscalationPolicy
from tocsin.domain.users import ContactMethod, Team, User
from tocsin.engine.clock import Clock
from tocsin.errors import NotFound
from tocsin.notify.messages import MessageJob
from tocsin.notify.page_texts import test_page_text
from tocsin.store import messages as message_store
from tocsin.store.database import Database

__all__ = ["PeopleService", "TestPageResult"]


@dataclass(frozen=True)
class TestPageResult:
    method: ContactMethod
    address: str
    ok: bool
    detail: str


class PeopleService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: Callable[[], RoutingConfig | None],
        messages: MessageJob,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.messages = messages

    def _config(self) -> RoutingConfig:
        config = self.config()
        if config is None:
            raise NotFound("no users: start Tocsin with a configuration (--config)")
        return config

    def users(self) -> list[User]:
        return sorted(self._config().users.values(), key=lambda u: u.id)

    def user(self, user_id: str) -> User:
        person = self._config().users.get(user_id)
        if person is None:
            raise NotFound(f"no user {user_id!r}")
        return person

    def teams(self) -> list[Team]:
        return sorted(self._config().teams.values(), key=lambda t: t.name)

    def policies(self) -> list[EscalationPolicy]:
        return sorted(self._config().escalation_policies.values(), key=lambda p: p.name)

    def policy_receivers(self) -> dict[str, list[str]]:
        """The receivers that page through each escalation policy, by policy name."""
        out: dict[str, list[str]] = {}
        for receiver, policy in sorted(self._config().receiver_policies.items()):
            out.setdefault(policy, []).append(receiver)
        return out

    def test_page(self, user_id: str) -> list[TestPageResult]:
        """Send a test notification over each of the person's contact methods now; each
        attempt is recorded in the delivery log as a ``test`` message."""
        person = self.user(user_id)
        subject, body = test_page_text(person.display)
        now = self.clock.now()
        results: list[TestPageResult] = []
        for method in person.methods:
            address = person.address(method)
            assert address is not None
            sender = self.messages.sender(method)
            message = PersonalMessage(
                kind="test",
                subject=subject,
                body=body,
                urgency="low",
                idempotency_key=f"tocsin-test-{person.id}-{method.value}-{now.timestamp()}",
                sent_at=now,
            )
            if isinstance(sender, str):
                result = SendResult.failure(sender, retryable=False)
            else:
                try:
                    result = sender.send(address, message, self.messages.client)
                except Exception as exc:  # report it, as any other failure
                    result = SendResult.failure(f"{type(exc).__name__}: {exc}")
            self._record(person, method, address, subject, body, result, now)
            detail = "sent" if result.ok else (result.error or "failed")
            results.append(TestPageResult(method, address, result.ok, detail))
        return results

    def _record(
        self,
        person: User,
        method: ContactMethod,
        address: str,
        subject: str,
        body: str,
        result: SendResult,
        now: datetime,
    ) -> None:
        with self.db.write() as conn:
            message_store.create(
                conn,
                dedup_key=f"test-{uuid.uuid4().hex}",
                user=person.id,
                kind="test",
                subject=subject,
                body=body,
                address=address,
                now=now,
                status=message_store.SENT if result.ok else message_store.FAILED,
                last_error=result.error,
                method=method.value,
            )
