"""Messages to one person, and what became of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from tocsin.store.tables import messages as table

__all__ = ["Message", "create", "get", "paged_users", "recent", "set_status"]

PENDING, SENT, FAILED = "pending", "sent", "failed"
#: A page no longer needed (the incident was acknowledged before it went out).
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Message:
    id: int
    dedup_key: str
    user: str
    kind: str
    subject: str
    body: str
    address: str | None
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None = None
    #: email, sms, voice, push, slack, webhook
    method: str = "email"
    incident_id: int | None = None
    #: What the sender needs besides subject and body (links, urgency, reply code ...).
    details: Mapping[str, Any] = field(default_factory=dict)


def _row(row: RowMapping) -> Message:
    return Message(
        id=row["id"],
        dedup_key=row["dedup_key"],
        user=row["user_id"],
        kind=row["kind"],
        subject=row["subject"],
        body=row["body"],
        address=row["address"],
        status=row["status"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        method=row["method"],
        incident_id=row["incident_id"],
        details=row["details"] or {},
    )


def create(
    conn: Connection,
    *,
    dedup_key: str,
    user: str,
    kind: str,
    subject: str,
    body: str,
    address: str | None,
    now: datetime,
    status: str = PENDING,
    last_error: str | None = None,
    method: str = "email",
    incident_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> int | None:
    """Insert the message unless one with ``dedup_key`` exists; its id, or None if it did."""
    exists = conn.execute(select(table.c.id).where(table.c.dedup_key == dedup_key)).first()
    if exists is not None:
        return None
    result = conn.execute(
        insert(table),
        {
            "dedup_key": dedup_key,
            "user_id": user,
            "kind": kind,
            "subject": subject,
            "body": body,
            "address": address,
            "status": status,
            "attempts": 0,
            "last_error": last_error,
            "created_at": now,
            "method": method,
            "incident_id": incident_id,
            "details": dict(details or {}),
        },
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def get(conn: Connection, message_id: int) -> Message | None:
    row = conn.execute(select(table).where(table.c.id == message_id)).mappings().first()
    return _row(row) if row else None


def recent(
    conn: Connection,
    user: str | None = None,
    limit: int = 50,
    *,
    incident_id: int | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> list[Message]:
    query = select(table)
    if user is not None:
        query = query.where(table.c.user_id == user)
    if incident_id is not None:
        query = query.where(table.c.incident_id == incident_id)
    if status is not None:
        query = query.where(table.c.status == status)
    if kind is not None:
        query = query.where(table.c.kind == kind)
    query = query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
    return [_row(r) for r in conn.execute(query).mappings()]


def set_status(conn: Connection, message_id: int, **values: Any) -> None:
    conn.execute(update(table).where(table.c.id == message_id).values(**values))


def cancel_pending(conn: Connection, incident_id: int) -> int:
    """Mark the unsent pages of an incident cancelled; how many."""
    result = conn.execute(
        update(table)
        .where(
            table.c.incident_id == incident_id, table.c.status == PENDING, table.c.kind == "page"
        )
        .values(status=CANCELLED)
    )
    return int(result.rowcount or 0)


def by_dedup_key(conn: Connection, dedup_key: str) -> Message | None:
    row = conn.execute(select(table).where(table.c.dedup_key == dedup_key)).mappings().first()
    return _row(row) if row else None


def was_paged(conn: Connection, user: str, incident_id: int) -> bool:
    """Whether ``user`` was sent a page about the incident."""
    found = conn.execute(
        select(table.c.id)
        .where(table.c.user_id == user, table.c.incident_id == incident_id, table.c.kind == "page")
        .limit(1)
    ).first()
    return found is not None


def paged_users(conn: Connection, incident_id: int) -> list[str]:
    """Everyone sent a page about the incident, first paged first."""
    rows = conn.execute(
        select(table.c.user_id, table.c.id)
        .where(table.c.incident_id == incident_id, table.c.kind == "page")
        .order_by(table.c.id)
    )
    seen: dict[str, None] = {}
    for user, _ in rows:
        seen.setdefault(user, None)
    return list(seen)
