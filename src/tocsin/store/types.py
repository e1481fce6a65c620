"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.types import TypeDecorator

__all__ = ["JSONMap", "UTCDateTime"]


def _to_utc_naive(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def _sqlite_text(value: datetime) -> str:
    if value.tzinfo is UTC:
        return value.isoformat(" ", "microseconds")[:26]  # drop "+00:00"
    return _to_utc_naive(value).isoformat(" ", "microseconds")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out; stored as naive UTC everywhere.

    The processors are written out (not layered on DateTime's) because they run for every
    timestamp of every alert on the intake path. On SQLite the text is the same as
    SQLAlchemy's own DATETIME format (``YYYY-MM-DD HH:MM:SS.ffffff``), so it sorts and
    compares as time.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        if dialect.name == "sqlite":
            convert: Callable[[datetime], Any] = _sqlite_text
        else:
            convert = _to_utc_naive
        last: list[Any] = [None, None]  # the intake writes the same `now` many times a batch

        def process(value: datetime | None) -> Any:
            if value is None:
                return None
            if value is last[0]:
                return last[1]
            result = convert(value)
            last[0], last[1] = value, result
            return result

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any]:
        def to_aware(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            return value.replace(tzinfo=UTC)

        return to_aware

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _to_utc_naive(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return self.result_processor(dialect, None)(value)


#: JSON documents. PostgreSQL's ``json`` (not ``jsonb``): it keeps the text exactly, and
#: jsonb cannot hold a NUL character (``\u0000``), which label values may contain.
JSONMap = JSON()
