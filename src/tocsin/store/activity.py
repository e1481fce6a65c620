"""A cheap mark of "something changed" for live pages: the newest row of each table people
watch (each an index lookup)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from tocsin.store import tables as t

__all__ = ["marks"]


def marks(conn: Connection) -> tuple[object, ...]:
    return tuple(
        conn.execute(
            select(
                select(func.max(t.incident_events.c.id)).scalar_subquery(),
                select(func.max(t.alert_events.c.id)).scalar_subquery(),
                select(func.max(t.silences.c.updated_at)).scalar_subquery(),
                select(func.max(t.deliveries.c.id)).scalar_subquery(),
                select(func.max(t.messages.c.id)).scalar_subquery(),
                select(func.max(t.schedule_overrides.c.id)).scalar_subquery(),
                select(func.max(t.accounts.c.updated_at)).scalar_subquery(),
            )
        ).one()
    )
