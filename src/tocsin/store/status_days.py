"""Finished days of each component's uptime (``status_component_days``), kept per page time
zone so the page reads 90 rows a component instead of 90 days of history. A row is exactly
the ``domain.status_uptime.Day`` the history gives for that day, and the status in force at
its end (today's figures start from it)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, delete, insert, or_, select

from tocsin.domain.status_page import ComponentStatus
from tocsin.domain.status_uptime import Day
from tocsin.store.status_tables import status_component_days as table

__all__ = ["KeptDay", "forget", "kept", "present", "save"]


@dataclass(frozen=True, slots=True)
class KeptDay:
    day: Day
    #: The status in force when the day ended (None: the component did not exist yet).
    end: ComponentStatus | None


_MEMBERS = {s.value: s for s in ComponentStatus}


def kept(
    conn: Connection, ids: Collection[int], zone: str, first: date, last: date
) -> dict[int, tuple[list[Day], ComponentStatus | None]]:
    """Per component of ``ids``, its kept days from ``first`` to ``last`` in order and the status in
    force when the last of them ended. Only components with every one of those days kept
    are in it (the others are worked out from their history). One query, no per-row
    objects beyond the days themselves: the page's first view of a day reads ~90 rows a
    component."""
    if not ids:
        return {}
    low, high = first.toordinal(), last.toordinal()
    # Straight through the driver: ~4,500 rows of plain numbers and words need no type
    # processing, and SQLAlchemy's rows would cost as much as the query.
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cursor = conn.connection.cursor()
    try:
        wanted = sorted(set(ids))
        cursor.execute(
            "SELECT component_id, day, observed, major, partial, worst, end_status "
            f"FROM status_component_days WHERE zone = {mark} AND day >= {mark} AND day <= {mark} "
            f"AND component_id IN ({', '.join([mark] * len(wanted))}) "
            "ORDER BY component_id, day",
            (zone, low, high, *wanted),
        )
        rows = cursor.fetchall()
    finally:
        cursor.close()
    dates = [first + timedelta(days=n) for n in range(high - low + 1)]
    want = len(dates)
    out: dict[int, tuple[list[Day], ComponentStatus | None]] = {}
    current: int | None = None
    days: list[Day] = []
    end: str | None = None
    for component_id, ordinal, observed, major, partial, worst, end_status in rows:
        if component_id != current:
            if current is not None and len(days) == want:
                out[current] = (days, _MEMBERS[end] if end is not None else None)
            current, days = component_id, []
        days.append(
            Day(
                dates[ordinal - low],
                _MEMBERS[worst] if worst is not None else None,
                observed,
                major,
                partial,
            )
        )
        end = end_status
    if current is not None and len(days) == want:
        out[current] = (days, _MEMBERS[end] if end is not None else None)
    return out


def present(conn: Connection, zone: str, first: date, last: date) -> dict[int, set[date]]:
    """Which days from ``first`` to ``last`` are kept, per component."""
    t = table
    query = select(t.c.component_id, t.c.day).where(
        t.c.zone == zone, t.c.day >= first.toordinal(), t.c.day <= last.toordinal()
    )
    out: dict[int, set[date]] = {}
    for component_id, ordinal in conn.execute(query):
        out.setdefault(component_id, set()).add(date.fromordinal(ordinal))
    return out


def save(conn: Connection, zone: str, rows: Sequence[tuple[int, KeptDay]]) -> None:
    """Keep these days (component id, day), replacing any kept for the same days."""
    if not rows:
        return
    t = table
    for component_id in {c for c, _ in rows}:
        ordinals = [k.day.day.toordinal() for c, k in rows if c == component_id]
        conn.execute(
            delete(t).where(
                t.c.component_id == component_id, t.c.zone == zone, t.c.day.in_(ordinals)
            )
        )
    conn.execute(
        insert(t),
        [
            {
                "component_id": component_id,
                "zone": zone,
                "day": k.day.day.toordinal(),
                "observed": k.day.observed,
                "major": k.day.major,
                "partial": k.day.partial,
                "worst": k.day.worst.value if k.day.worst is not None else None,
                "end_status": k.end.value if k.end is not None else None,
            }
            for component_id, k in rows
        ],
    )


def forget(conn: Connection, *, zone: str, before: date) -> int:
    """Drop the days of other time zones (the page's changed) and those before ``before``
    (out of every window shown); how many."""
    t = table
    result = conn.execute(delete(t).where(or_(t.c.zone != zone, t.c.day < before.toordinal())))
    return int(result.rowcount)
