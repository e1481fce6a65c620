"""Exceptions to the release gate (kept after they end: the audit trail)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select, update

from tocsin.domain.slo_gate import GateException
from tocsin.store.slo_tables import slo_gate_exceptions as table

__all__ = ["create", "get", "listing", "revoke"]


def _row(r: RowMapping) -> GateException:
    return GateException(
        id=r["id"],
        service=r["service"],
        reason=r["reason"],
        created_by=r["created_by"],
        created_at=r["created_at"],
        expires_at=r["expires_at"],
        revoked_at=r["revoked_at"],
        revoked_by=r["revoked_by"],
    )


def create(
    conn: Connection, service: str, reason: str, by: str, now: datetime, until: datetime
) -> int:
    result = conn.execute(
        insert(table).values(
            service=service, reason=reason, created_by=by, created_at=now, expires_at=until
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def get(conn: Connection, exception_id: int) -> GateException | None:
    row = conn.execute(select(table).where(table.c.id == exception_id)).mappings().first()
    return _row(row) if row else None


def listing(
    conn: Connection, service: str | None = None, *, open_at: datetime | None = None
) -> list[GateException]:
    """Newest first; ``open_at``: only those open then."""
    query = select(table)
    if service is not None:
        query = query.where(table.c.service == service)
    if open_at is not None:
        query = query.where(
            table.c.revoked_at.is_(None),
            table.c.created_at <= open_at,
            table.c.expires_at > open_at,
        )
    rows = conn.execute(query.order_by(table.c.id.desc()).limit(500)).mappings()
    return [_row(r) for r in rows]


def revoke(conn: Connection, exception_id: int, by: str, now: datetime) -> bool:
    """End an exception now; False when it had ended already."""
    result = conn.execute(
        update(table)
        .where(
            table.c.id == exception_id,
            table.c.revoked_at.is_(None),
            table.c.expires_at > now,
        )
        .values(revoked_at=now, revoked_by=by)
    )
    return bool(result.rowcount)
