"""The outbox of notifications and every attempt to send them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, delete, insert, select, update

from tocsin.store.tables import deliveries, delivery_attempts

__all__ = [
    "Attempt",
    "DeliveryRow",
    "attempts_of",
    "create_many",
    "delete_finished_before",
    "get",
    "list_recent",
    "pending_for",
    "pending_many",
    "record_attempt",
    "set_status",
]

PENDING = "pending"


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    group_id: int | None
    log_ident: str
    group_key: str
    receiver: str
    integration: str
    status: str
    reason: str
    content: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attempt:
    delivery_id: int
    attempted_at: datetime
    duration_ms: int
    ok: bool
    status_code: int | None
    error: str | None


# Built once: constructing statements costs more than running them on SQLite.
_BY_ID = select(deliveries).where(deliveries.c.id == bindparam("did"))
_PENDING_FOR = select(deliveries).where(
    deliveries.c.status == PENDING, deliveries.c.log_ident == bindparam("ident")
)
_INSERT_ATTEMPT = insert(delivery_attempts)
_COUNT_ATTEMPT = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("did"))
    .values(attempts=deliveries.c.attempts + 1, last_error=bindparam("error"))
)


def _row(r: RowMapping) -> DeliveryRow:
    return DeliveryRow(**{k: r[k] for k in DeliveryRow.__slots__})


_INSERT_MANY = insert(deliveries).returning(deliveries.c.id, sort_by_parameter_order=True)


def create_many(conn: Connection, rows: Sequence[DeliveryRow]) -> list[DeliveryRow]:
    """Insert pending deliveries (their ``id`` ignored) in one statement; the rows with ids."""
    if not rows:
        return []
    values = [{k: getattr(r, k) for k in DeliveryRow.__slots__ if k != "id"} for r in rows]
    for v in values:
        v["content"] = dict(v["content"])
    ids = list(conn.execute(_INSERT_MANY, values).scalars())
    return [replace(r, id=i) for r, i in zip(rows, ids, strict=True)]


def get(conn: Connection, delivery_id: int) -> DeliveryRow | None:
    row = conn.execute(_BY_ID, {"did": delivery_id}).mappings().first()
    return _row(row) if row is not None else None


def pending_for(conn: Connection, log_ident: str) -> DeliveryRow | None:
    row = conn.execute(_PENDING_FOR, {"ident": log_ident}).mappings().first()
    return _row(row) if row is not None else None


_PENDING_MANY = select(deliveries).where(
    deliveries.c.status == PENDING, deliveries.c.log_ident.in_(bindparam("idents", expanding=True))
)


def pending_many(conn: Connection, log_idents: Sequence[str]) -> dict[str, DeliveryRow]:
    """The pending delivery of each log entry that has one."""
    if not log_idents:
        return {}
    rows = conn.execute(_PENDING_MANY, {"idents": list(log_idents)}).mappings()
    return {r["log_ident"]: _row(r) for r in rows}


def pending_in_group(conn: Connection, group_id: int) -> list[DeliveryRow]:
    rows = conn.execute(
        select(deliveries).where(deliveries.c.status == PENDING, deliveries.c.group_id == group_id)
    )
    return [_row(r) for r in rows.mappings()]


def set_status(
    conn: Connection,
    delivery_id: int,
    status: str,
    now: datetime,
    *,
    only_if_pending: bool = True,
    **values: Any,
) -> bool:
    stmt = update(deliveries).where(deliveries.c.id == delivery_id)
    if only_if_pending:
        stmt = stmt.where(deliveries.c.status == PENDING)
    result = conn.execute(stmt.values(status=status, updated_at=now, **values))
    return result.rowcount == 1


def record_attempt(conn: Connection, attempt: Attempt) -> None:
    conn.execute(
        _INSERT_ATTEMPT,
        {
            "delivery_id": attempt.delivery_id,
            "attempted_at": attempt.attempted_at,
            "duration_ms": attempt.duration_ms,
            "ok": attempt.ok,
            "status_code": attempt.status_code,
            "error": attempt.error,
        },
    )
    conn.execute(_COUNT_ATTEMPT, {"did": attempt.delivery_id, "error": attempt.error})


def attempts_of(conn: Connection, delivery_id: int) -> list[Attempt]:
    rows = conn.execute(
        select(delivery_attempts)
        .where(delivery_attempts.c.delivery_id == delivery_id)
        .order_by(delivery_attempts.c.id)
    )
    return [Attempt(**{k: r[k] for k in Attempt.__slots__}) for r in rows.mappings()]


def list_recent(
    conn: Connection,
    *,
    limit: int = 50,
    receiver: str | None = None,
    status: str | None = None,
) -> list[DeliveryRow]:
    query = select(deliveries).order_by(deliveries.c.id.desc()).limit(limit)
    if receiver is not None:
        query = query.where(deliveries.c.receiver == receiver)
    if status is not None:
        query = query.where(deliveries.c.status == status)
    return [_row(r) for r in conn.execute(query).mappings()]


def delete_finished_before(conn: Connection, cutoff: datetime, limit: int) -> int:
    """Forget up to ``limit`` deliveries no longer pending, created before ``cutoff``."""
    ids = list(
        conn.execute(
            select(deliveries.c.id)
            .where(deliveries.c.status != PENDING, deliveries.c.created_at < cutoff)
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return 0
    conn.execute(delete(delivery_attempts).where(delivery_attempts.c.delivery_id.in_(ids)))
    conn.execute(delete(deliveries).where(deliveries.c.id.in_(ids)))
    return len(ids)
