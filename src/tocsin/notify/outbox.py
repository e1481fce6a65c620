"""Putting a notification in the outbox: one pending delivery per (log entry), a newer one
superseding it, and its send started at once when due."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection

from tocsin.store import deliveries as delivery_store
from tocsin.store import timers as timer_store
from tocsin.store.deliveries import DeliveryRow

__all__ = ["DELIVERY", "Spawn", "enqueue", "schedule"]

#: The timer kind of a delivery's sends; its key is the delivery's id.
DELIVERY = "delivery"


class Spawn(Protocol):
    """Schedules a timer from a handler (the engine's ``Runner.spawn``: one due now starts
    at once)."""

    def __call__(
        self,
        conn: Connection,
        kind: str,
        key: str,
        due_at: datetime,
        *,
        new: bool = False,
        hint: Any = None,
    ) -> None: ...


def schedule(
    conn: Connection,
    kind: str,
    key: str,
    due_at: datetime,
    *,
    new: bool = False,
    hint: Any = None,
) -> None:
    timer_store.schedule(conn, kind, key, due_at, new=new)


_LOOK_UP: Any = object()


def enqueue(
    conn: Connection,
    spawn: Spawn,
    *,
    pending: DeliveryRow | None = _LOOK_UP,
    group_id: int | None,
    log_ident: str,
    group_key: str,
    receiver: str,
    integration: str,
    reason: str,
    content: Mapping[str, Any],
    now: datetime,
) -> DeliveryRow:
    """Add the delivery, superseding an unsent one for the same log entry (which hands over
    its place in the backoff; ``pending``: it, when the caller has read it already)."""
    attempts, due = 0, now
    if pending is _LOOK_UP:
        pending = delivery_store.pending_for(conn, log_ident)
    if pending is not None:
        delivery_store.set_status(conn, pending.id, "superseded", now)
        attempts = pending.attempts
        due = max(now, pending.next_attempt_at or now)
    delivery_id = delivery_store.create(
        conn,
        group_id=group_id,
        log_ident=log_ident,
        group_key=group_key,
        receiver=receiver,
        integration=integration,
        reason=reason,
        content=content,
        now=now,
        attempts=attempts,
        next_attempt_at=due,
    )
    row = DeliveryRow(
        id=delivery_id,
        group_id=group_id,
        log_ident=log_ident,
        group_key=group_key,
        receiver=receiver,
        integration=integration,
        status=delivery_store.PENDING,
        reason=reason,
        content=content,
        created_at=now,
        updated_at=now,
        attempts=attempts,
        next_attempt_at=due,
        last_error=None,
        sent_at=None,
    )
    spawn(conn, DELIVERY, str(delivery_id), due, new=True, hint=row)
    return row
