"""Shift swaps: offered, taken (becoming an override) or withdrawn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from tocsin.store.tables import shift_swaps as table

__all__ = ["OPEN", "Swap", "by_id", "insert_swap", "listed", "set_status"]

OPEN, TAKEN, WITHDRAWN = "open", "taken", "withdrawn"


@dataclass(frozen=True)
class Swap:
    id: str
    schedule: str
    offered_by: str
    start: datetime
    end: datetime
    created_at: datetime
    status: str = OPEN
    offered_to: str | None = None
    note: str = ""
    taken_by: str | None = None
    taken_at: datetime | None = None
    override_id: int | None = None


def _row(row: RowMapping) -> Swap:
    return Swap(
        id=row["id"],
        schedule=row["schedule"],
        offered_by=row["offered_by"],
        start=row["starts_at"],
        end=row["ends_at"],
        created_at=row["created_at"],
        status=row["status"],
        offered_to=row["offered_to"],
        note=row["note"],
        taken_by=row["taken_by"],
        taken_at=row["taken_at"],
        override_id=row["override_id"],
    )


def insert_swap(conn: Connection, s: Swap) -> None:
    conn.execute(
        insert(table),
        {
            "id": s.id,
            "schedule": s.schedule,
            "offered_by": s.offered_by,
            "offered_to": s.offered_to,
            "starts_at": s.start,
            "ends_at": s.end,
            "note": s.note,
            "status": s.status,
            "created_at": s.created_at,
        },
    )


def by_id(conn: Connection, swap_id: str) -> Swap | None:
    row = conn.execute(select(table).where(table.c.id == swap_id)).mappings().first()
    return _row(row) if row else None


def listed(conn: Connection, schedule: str | None, status: str | None) -> list[Swap]:
    query = select(table)
    if schedule is not None:
        query = query.where(table.c.schedule == schedule)
    if status is not None:
        query = query.where(table.c.status == status)
    return [_row(r) for r in conn.execute(query.order_by(table.c.starts_at)).mappings()]


def set_status(conn: Connection, swap_id: str, expected: str, **values: Any) -> bool:
    """Move a swap out of ``expected`` status; False if someone else moved it first."""
    result = conn.execute(
        update(table).where(table.c.id == swap_id, table.c.status == expected).values(**values)
    )
    return result.rowcount == 1
