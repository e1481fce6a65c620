"""Subscribers of the status page and its outbox of emails and webhooks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tocsin.store.status_tables import status_notifications as outbox
from tocsin.store.status_tables import status_subscribers as table

__all__ = [
    "CANCELLED",
    "FAILED",
    "PENDING",
    "SENT",
    "Notification",
    "Subscriber",
    "add",
    "by_ident",
    "cancel_for",
    "claim_confirmation",
    "confirm",
    "create_notification",
    "delete_unconfirmed_before",
    "get",
    "ident_of",
    "notification",
    "notifications",
    "remove",
    "set_notification",
    "subscribers",
]

PENDING, SENT, FAILED, CANCELLED = "pending", "sent", "failed", "cancelled"
EMAIL, WEBHOOK = "email", "webhook"


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    mode: str
    address: str
    created_at: datetime
    confirmed_at: datetime | None
    #: SHA-256 of mode and address: what the signed links are bound to.
    ident: str = ""
    confirm_sent_at: datetime | None = None

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


def ident_of(mode: str, address: str) -> str:
    """One per address: an email address counts in lower case (the domain is
    case-insensitive, and no mail system in use treats the local part otherwise)."""
    if mode == EMAIL:
        address = address.lower()
    return hashlib.sha256(f"{mode}\n{address}".encode()).hexdigest()


def _subscriber(row: RowMapping) -> Subscriber:
    return Subscriber(
        row["id"],
        row["mode"],
        row["address"],
        row["created_at"],
        row["confirmed_at"],
        row["ident"],
        row["confirm_sent_at"],
    )


def _insert_new(conn: Connection, target: Any, values: dict[str, Any], key: str) -> int | None:
    """INSERT ... ON CONFLICT (key) DO NOTHING: the new row's id, None when one was there
    (no select-then-insert race between two requests or two nodes)."""
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    statement = (
        insert_(target).values(**values).on_conflict_do_nothing(index_elements=[key])
    ).returning(target.c.id)
    found = conn.execute(statement).scalar_one_or_none()
    return int(found) if found is not None else None


def add(conn: Connection, mode: str, address: str, now: datetime) -> tuple[Subscriber, bool]:
    """The subscriber (mode, address), made if new; and whether it was. Email addresses
    are kept in lower case."""
    if mode == EMAIL:
        address = address.lower()
    ident = ident_of(mode, address)
    confirmed = now if mode == WEBHOOK else None
    values = {
        "mode": mode,
        "address": address,
        "ident": ident,
        "created_at": now,
        "confirmed_at": confirmed,
        "confirm_sent_at": None,
    }
    made = _insert_new(conn, table, values, "ident")
    found = by_ident(conn, ident)
    assert found is not None
    return found, made is not None


def by_ident(conn: Connection, ident: str) -> Subscriber | None:
    row = conn.execute(select(table).where(table.c.ident == ident)).mappings().first()
    return _subscriber(row) if row else None


def claim_confirmation(
    conn: Connection, subscriber_id: int, now: datetime, every: timedelta
) -> bool:
    """Note that a confirmation email goes to the unconfirmed subscriber now, unless one
    went within ``every``; whether it may (one UPDATE: two requests cannot both)."""
    result = conn.execute(
        update(table)
        .where(
            table.c.id == subscriber_id,
            table.c.confirmed_at.is_(None),
            or_(table.c.confirm_sent_at.is_(None), table.c.confirm_sent_at <= now - every),
        )
        .values(confirm_sent_at=now)
    )
    return result.rowcount == 1


def delete_unconfirmed_before(conn: Connection, before: datetime, *, limit: int = 1000) -> int:
    """Forget email addresses that subscribed before ``before`` and never confirmed (with
    what was still to be sent to them); how many."""
    ids = list(
        conn.execute(
            select(table.c.id)
            .where(table.c.confirmed_at.is_(None), table.c.created_at < before)
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return 0
    conn.execute(
        update(outbox)
        .where(outbox.c.subscriber_id.in_(ids), outbox.c.status == PENDING)
        .values(status=CANCELLED, last_error="never confirmed")
    )
    conn.execute(delete(table).where(table.c.id.in_(ids)))
    return len(ids)


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
        .values(status=CANCELLED, last_error="unsubscribed")
    )
    return bool(conn.execute(delete(table).where(table.c.id == subscriber_id)).rowcount)


def cancel_for(conn: Connection, public_id: int, reason: str) -> int:
    """Cancel what is still to be sent about public incident ``public_id``; how many."""
    result = conn.execute(
        update(outbox)
        .where(outbox.c.public_id == public_id, outbox.c.status == PENDING)
        .values(status=CANCELLED, last_error=reason)
    )
    return int(result.rowcount)


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
    public_id: int | None = None,
) -> int | None:
    """Put one email or webhook in the outbox unless ``dedup`` was used; its id, or None.
    ``dedup`` must be unique forever (built from ids that are never used again)."""
    values = {
        "dedup_key": hashlib.sha256(dedup.encode()).hexdigest(),
        "subscriber_id": subscriber_id,
        "public_id": public_id,
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
    }
    return _insert_new(conn, outbox, values, "dedup_key")


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
