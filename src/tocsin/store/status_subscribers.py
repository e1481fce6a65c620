"""Subscribers of the status page and its outbox of emails and webhooks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from tocsin.store.tables import status_notifications as outbox
from tocsin.store.tables import status_subscribers as table

__all__ = [
    "FAILED",
    "PENDING",
    "SENT",
    "Notification",
    "Subscriber",
    "add",
    "confirm",
    "create_notification",
    "get",
    "notification",
    "notifications",
    "remove",
    "set_notification",
    "subscribers",
]

PENDING, SENT, FAILED = "pending", "sent", "failed"
EMAIL, WEBHOOK = "email", "webhook"


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    mode: str
    address: str
    created_at: datetime
    confirmed_at: datetime | None

    @property
    def active(self) -> bool:
        """Notified: a webhook at once, an email address once confirmed."""
        return self.mode == WEBHOOK or self.confirmed_at is not None


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    subscriber_id: int | None
    kind: str
    mode: str
    address: str
    subject: str
    body: str
    unsubscribe_url: str | None
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def _ident(mode: str, address: str) -> str:
    return hashlib.sha256(f"{mode}\n{address}".encode()).hexdigest()


def _subscriber(row: RowMapping) -> Subscriber:
    return Subscriber(
        row["id"], row["mode"], row["address"], row["created_at"], row["confirmed_at"]
    )


def add(conn: Connection, mode: str, address: str, now: datetime) -> tuple[Subscriber, bool]:
    """The subscriber (mode, address), made if new; and whether it was."""
    ident = _ident(mode, address)
    row = conn.execute(select(table).where(table.c.ident == ident)).mappings().first()
    if row is not None:
        return _subscriber(row), False
    values = {"mode": mode, "address": address, "ident": ident, "created_at": now}
    confirmed = now if mode == WEBHOOK else None
    result = conn.execute(insert(table), {**values, "confirmed_at": confirmed})
    assert result.inserted_primary_key is not None
    return Subscriber(int(result.inserted_primary_key[0]), mode, address, now, confirmed), True


def get(conn: Connection, subscriber_id: int) -> Subscriber | None:
    row = conn.execute(select(table).where(table.c.id == subscriber_id)).mappings().first()
    return _subscriber(row) if row else None


def subscribers(conn: Connection, *, active: bool | None = None) -> list[Subscriber]:
    query = select(table).order_by(table.c.id)
    found = [_subscriber(r) for r in conn.execute(query).mappings()]
    if active is None:
        return found
    return [s for s in found if s.active == active]


def confirm(conn: Connection, subscriber_id: int, now: datetime) -> None:
    conn.execute(
        update(table)
        .where(table.c.id == subscriber_id, table.c.confirmed_at.is_(None))
        .values(confirmed_at=now)
    )


def remove(conn: Connection, subscriber_id: int) -> bool:
    """Delete the subscriber; what was not sent to it yet is dropped too."""
    conn.execute(
        update(outbox)
        .where(outbox.c.subscriber_id == subscriber_id, outbox.c.status == PENDING)
        .values(status=FAILED, last_error="unsubscribed")
    )
    return bool(conn.execute(delete(table).where(table.c.id == subscriber_id)).rowcount)


def create_notification(
    conn: Connection,
    *,
    dedup: str,
    subscriber_id: int | None,
    kind: str,
    mode: str,
    address: str,
    subject: str,
    body: str,
    unsubscribe_url: str | None,
    now: datetime,
) -> int | None:
    """Put one email or webhook in the outbox unless ``dedup`` was used; its id, or None."""
    key = hashlib.sha256(dedup.encode()).hexdigest()
    if conn.execute(select(outbox.c.id).where(outbox.c.dedup_key == key)).first():
        return None
    result = conn.execute(
        insert(outbox),
        {
            "dedup_key": key,
            "subscriber_id": subscriber_id,
            "kind": kind,
            "mode": mode,
            "address": address,
            "subject": subject,
            "body": body,
            "unsubscribe_url": unsubscribe_url,
            "status": PENDING,
            "attempts": 0,
            "last_error": None,
            "created_at": now,
            "sent_at": None,
        },
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def _notification(row: RowMapping) -> Notification:
    return Notification(
        row["id"],
        row["subscriber_id"],
        row["kind"],
        row["mode"],
        row["address"],
        row["subject"],
        row["body"],
        row["unsubscribe_url"],
        row["status"],
        row["attempts"],
        row["last_error"],
        row["created_at"],
        row["sent_at"],
    )


def notification(conn: Connection, notification_id: int) -> Notification | None:
    query = select(outbox).where(outbox.c.id == notification_id)
    row = conn.execute(query).mappings().first()
    return _notification(row) if row else None


def notifications(
    conn: Connection, *, subscriber_id: int | None = None, limit: int = 100
) -> list[Notification]:
    query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
    if subscriber_id is not None:
        query = query.where(outbox.c.subscriber_id == subscriber_id)
    return [_notification(r) for r in conn.execute(query).mappings()]


def set_notification(conn: Connection, notification_id: int, **values: Any) -> None:
    conn.execute(update(outbox).where(outbox.c.id == notification_id).values(**values))
