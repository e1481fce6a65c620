"""Putting a notification in the outbox: one pending delivery per (log entry), a newer one
superseding it, and its send started at once when due."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection

from tocsin.store import deliveries as delivery_store
from tocsin.store import timers as timer_store
from tocsin.store.deliveries import DeliveryRow

__all__ = ["DELIVERY", "Planned", "SpawnMany", "enqueue", "enqueue_many", "schedule_many"]

#: The timer kind of a delivery's sends; its key is the delivery's id.
DELIVERY = "delivery"


class SpawnMany(Protocol):
    """Schedules new timers (key, due_at, hint) of one kind from a handler (the engine's
    ``Runner.spawn_many``)."""

    def __call__(
        self, conn: Connection, kind: str, items: Sequence[tuple[str, datetime, Any]]
    ) -> None: ...


def schedule_many(conn: Connection, kind: str, items: Sequence[tuple[str, datetime, Any]]) -> None:
    timer_store.create_many(conn, kind, [(k, d) for k, d, _ in items])


@dataclass(frozen=True)
class Planned:
    """A notification a tick decided on, not yet in the outbox."""

    group_id: int | None
    log_ident: str
    group_key: str
    receiver: str
    integration: str
    reason: str
    content: Mapping[str, Any]


def enqueue_many(
    conn: Connection,
    spawn_many: SpawnMany,
    plans: Sequence[Planned],
    pending: Mapping[str, DeliveryRow | None],
    now: datetime,
) -> list[DeliveryRow]:
    """Put planned notifications in the outbox, each superseding the unsent one for its log
    entry (``pending``, read by the caller), which hands over its place in the backoff."""
    latest = {p.log_ident: p for p in plans}  # a later plan for the same entry wins
    rows = []
    for plan in latest.values():
        attempts, due = 0, now
        previous = pending.get(plan.log_ident)
        if previous is not None:
            delivery_store.set_status(conn, previous.id, "superseded", now)
            attempts = previous.attempts
            due = max(now, previous.next_attempt_at or now)
        rows.append(
            DeliveryRow(
                id=0,
                group_id=plan.group_id,
                log_ident=plan.log_ident,
                group_key=plan.group_key,
                receiver=plan.receiver,
                integration=plan.integration,
                status=delivery_store.PENDING,
                reason=plan.reason,
                content=plan.content,
                created_at=now,
                updated_at=now,
                attempts=attempts,
                next_attempt_at=due,
                last_error=None,
                sent_at=None,
            )
        )
    created = delivery_store.create_many(conn, rows)
    spawn_many(conn, DELIVERY, [(str(r.id), r.next_attempt_at or now, r) for r in created])
    return created


def enqueue(conn: Connection, spawn_many: SpawnMany, plan: Planned, now: datetime) -> DeliveryRow:
    """``enqueue_many`` for one, looking up what it supersedes."""
    pending = {plan.log_ident: delivery_store.pending_for(conn, plan.log_ident)}
    return enqueue_many(conn, spawn_many, [plan], pending, now)[0]
