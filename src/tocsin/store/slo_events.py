"""Good and total events of SLOs with a built-in SLI, per minute."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Float, Integer, cast, func, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tocsin.domain.slo import Counts
from tocsin.store.slo_tables import slo_events as table

__all__ = ["add", "counts", "per_step"]


def add(conn: Connection, slo_id: str, minute: datetime, good: float, total: float) -> None:
    """Add to the minute's counts (made on first use)."""
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    statement = insert_(table).values(slo_id=slo_id, minute=minute, good=good, total=total)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["slo_id", "minute"],
            set_={"good": table.c.good + good, "total": table.c.total + total},
        )
    )


def counts(conn: Connection, slo_id: str, start: datetime, end: datetime) -> Counts:
    """The sums over the minutes in [start, end)."""
    good, total = conn.execute(
        select(
            func.coalesce(func.sum(table.c.good), 0), func.coalesce(func.sum(table.c.total), 0)
        ).where(table.c.slo_id == slo_id, table.c.minute >= start, table.c.minute < end)
    ).one()
    return Counts(float(good), float(total))


def per_step(
    conn: Connection, slo_id: str, start: datetime, end: datetime, step: timedelta
) -> Mapping[int, Counts]:
    """The sums over each step of [start, end) that has events, by the step's number from
    ``start`` (0 for [start, start + step)), added up by the database."""
    origin, seconds = start.timestamp(), step.total_seconds()
    epoch: ColumnElement[float]
    if conn.dialect.name == "sqlite":
        epoch = cast(func.strftime("%s", table.c.minute), Float)
        number: ColumnElement[int] = cast((epoch - origin) / seconds, Integer)
    else:
        epoch = cast(func.extract("epoch", table.c.minute), Float)
        number = cast(func.floor((epoch - literal(origin)) / literal(seconds)), Integer)
    rows = conn.execute(
        select(number.label("n"), func.sum(table.c.good), func.sum(table.c.total))
        .where(table.c.slo_id == slo_id, table.c.minute >= start, table.c.minute < end)
        .group_by("n")
    )
    return {n: Counts(float(good), float(total)) for n, good, total in rows}
