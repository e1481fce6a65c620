"""Schedule overrides made through the API or CLI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, insert, select

from tocsin.config.compile import RoutingConfig
from tocsin.domain.coverage import with_overrides
from tocsin.domain.schedules import Override, Schedule
from tocsin.store.tables import schedule_overrides as table

__all__ = [
    "StoredOverride",
    "by_id",
    "effective_schedules",
    "for_schedules",
    "insert_override",
    "remove",
]


@dataclass(frozen=True)
class StoredOverride:
    #: 0 until stored.
    id: int
    schedule: str
    user: str
    start: datetime
    end: datetime
    created_at: datetime
    created_by: str
    note: str = ""
    swap_id: str | None = None

    @property
    def override(self) -> Override:
        return Override(self.start, self.end, self.user)


def _row(row: RowMapping) -> StoredOverride:
    return StoredOverride(
        id=row["id"],
        schedule=row["schedule"],
        user=row["user_id"],
        start=row["starts_at"],
        end=row["ends_at"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        note=row["note"],
        swap_id=row["swap_id"],
    )


def insert_override(conn: Connection, o: StoredOverride) -> StoredOverride:
    result = conn.execute(
        insert(table),
        {
            "schedule": o.schedule,
            "user_id": o.user,
            "starts_at": o.start,
            "ends_at": o.end,
            "created_at": o.created_at,
            "created_by": o.created_by,
            "note": o.note,
            "swap_id": o.swap_id,
        },
    )
    assert result.inserted_primary_key is not None
    return replace(o, id=int(result.inserted_primary_key[0]))


def for_schedules(
    conn: Connection, names: list[str] | None = None, *, ending_after: datetime | None = None
) -> list[StoredOverride]:
    """Overrides of the named schedules (all if None), in the order they were created."""
    query = select(table)
    if names is not None:
        query = query.where(table.c.schedule.in_(names))
    if ending_after is not None:
        query = query.where(table.c.ends_at > ending_after)
    rows = conn.execute(query.order_by(table.c.id)).mappings()
    return [_row(r) for r in rows]


def by_id(conn: Connection, override_id: int) -> StoredOverride | None:
    row = conn.execute(select(table).where(table.c.id == override_id)).mappings().first()
    return _row(row) if row else None


def remove(conn: Connection, override_id: int) -> None:
    conn.execute(delete(table).where(table.c.id == override_id))


def _overrides(
    conn: Connection, names: list[str] | None, ending_after: datetime | None
) -> list[tuple[str, Override]]:
    """(schedule, override) in creation order: only the columns the schedule math needs."""
    query = select(table.c.schedule, table.c.starts_at, table.c.ends_at, table.c.user_id)
    if names is not None:
        query = query.where(table.c.schedule.in_(names))
    if ending_after is not None:
        query = query.where(table.c.ends_at > ending_after)
    rows = conn.execute(query.order_by(table.c.id))
    return [(name, Override(start, end, user)) for name, start, end, user in rows]


def effective_schedules(
    conn: Connection,
    config: RoutingConfig,
    names: Iterable[str] | None = None,
    *,
    ending_after: datetime | None = None,
) -> dict[str, Schedule]:
    """The configured schedules with their stored overrides applied (only the overrides
    that end after ``ending_after``, when given: enough for questions about later times)."""
    chosen = list(config.schedules) if names is None else list(names)
    extra: dict[str, list[Override]] = {}
    for name, o in _overrides(conn, None if names is None else chosen, ending_after):
        extra.setdefault(name, []).append(o)
    return {name: with_overrides(config.schedules[name], extra.get(name, ())) for name in chosen}
