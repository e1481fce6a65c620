"""Silence rows."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from tocsin.domain.matchers import Matcher, MatchOp
from tocsin.domain.silences import Silence
from tocsin.domain.time_intervals import IntRange, TimeInterval, TimeIntervalSpec, TimeRange
from tocsin.store.tables import silences

__all__ = [
    "active_or_pending",
    "all_silences",
    "by_id",
    "insert_silence",
    "set_ends_at",
    "set_reminded",
]


def _recurrence_json(interval: TimeInterval | None) -> dict[str, Any] | None:
    if interval is None:
        return None
    return {"name": interval.name, "specs": [asdict(spec) for spec in interval.specs]}


def _recurrence(data: dict[str, Any] | None) -> TimeInterval | None:
    if not data:
        return None
    specs = tuple(
        TimeIntervalSpec(
            times=tuple(TimeRange(**r) for r in spec["times"]),
            weekdays=tuple(IntRange(**r) for r in spec["weekdays"]),
            days_of_month=tuple(IntRange(**r) for r in spec["days_of_month"]),
            months=tuple(IntRange(**r) for r in spec["months"]),
            years=tuple(IntRange(**r) for r in spec["years"]),
            location=spec["location"],
        )
        for spec in data["specs"]
    )
    return TimeInterval(data["name"], specs)


def _to_silence(row: RowMapping) -> Silence:
    matchers = tuple(
        Matcher.of(m["name"], MatchOp.from_flags(m["isRegex"], m["isEqual"]), m["value"])
        for m in row["matchers"]
    )
    return Silence(
        id=row["id"],
        matchers=matchers,
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        created_by=row["created_by"],
        comment=row["comment"],
        updated_at=row["updated_at"],
        recurrence=_recurrence(row["recurrence"]),
    )


def insert_silence(conn: Connection, silence: Silence) -> None:
    conn.execute(
        insert(silences),
        {
            "id": silence.id,
            "matchers": [m.as_api() for m in silence.matchers],
            "starts_at": silence.starts_at,
            "ends_at": silence.ends_at,
            "created_by": silence.created_by,
            "comment": silence.comment,
            "updated_at": silence.updated_at,
            "recurrence": _recurrence_json(silence.recurrence),
        },
    )


def set_ends_at(
    conn: Connection, silence_id: str, ends_at: datetime, now: datetime, **fields: Any
) -> None:
    conn.execute(
        update(silences)
        .where(silences.c.id == silence_id)
        .values(ends_at=ends_at, updated_at=now, **fields)
    )


def by_id(conn: Connection, silence_id: str) -> Silence | None:
    row = conn.execute(select(silences).where(silences.c.id == silence_id)).mappings().first()
    return _to_silence(row) if row else None


def all_silences(conn: Connection) -> list[Silence]:
    rows = conn.execute(select(silences).order_by(silences.c.starts_at, silences.c.id))
    return [_to_silence(r) for r in rows.mappings()]


def active_or_pending(conn: Connection, now: datetime) -> list[Silence]:
    rows = conn.execute(select(silences).where(silences.c.ends_at > now)).mappings()
    return [_to_silence(r) for r in rows]


def set_reminded(conn: Connection, silence_id: str, now: datetime) -> None:
    conn.execute(update(silences).where(silences.c.id == silence_id).values(reminded_at=now))
