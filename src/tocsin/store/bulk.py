"""Many rows in one driver call, for the intake path.

SQLAlchemy's executemany builds and processes every row's parameters through its compiler,
which costs more than the database does for small rows. ``Bulk`` renders the statement once
per dialect, takes each column's own bind processor (so values are stored exactly as
SQLAlchemy would store them), and hands the driver plain tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import JSON, Connection, Table

__all__ = ["Bulk"]

Processor = Callable[[Any], Any]


class Bulk:
    """``INSERT`` of ``columns``, or ``UPDATE`` of ``columns`` ``WHERE where = ?``.

    Rows are sequences in the order of ``columns`` (then ``where``).
    """

    def __init__(self, table: Table, columns: Sequence[str], *, where: str | None = None) -> None:
        self.table = table
        self.columns = list(columns)
        self.where = where
        self.names = [*self.columns, *([where] if where else [])]
        self._plans: dict[str, tuple[str, list[tuple[int, Processor]]]] = {}

    def _plan(self, conn: Connection) -> tuple[str, list[tuple[int, Processor]]]:
        dialect = conn.dialect
        known = self._plans.get(dialect.name)
        if known is None:
            mark = "?" if dialect.paramstyle == "qmark" else "%s"
            quote = dialect.identifier_preparer.quote
            processors: list[tuple[int, Processor]] = []
            for i, name in enumerate(self.names):
                column_type = self.table.c[name].type
                if isinstance(column_type, JSON):
                    processors.append((i, _json_dumps))  # orjson, as the engine is configured
                    continue
                processor = column_type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors.append((i, processor))
            if self.where is None:
                cols = ", ".join(quote(c) for c in self.columns)
                marks = ", ".join(mark for _ in self.columns)
                sql = f"INSERT INTO {quote(self.table.name)} ({cols}) VALUES ({marks})"
            else:
                sets = ", ".join(f"{quote(c)} = {mark}" for c in self.columns)
                table, key = quote(self.table.name), quote(self.where)
                sql = f"UPDATE {table} SET {sets} WHERE {key} = {mark}"
            known = (sql, processors)
            self._plans[dialect.name] = known
        return known

    def execute(self, conn: Connection, rows: Iterable[list[Any]]) -> None:
        """Write ``rows`` (lists, converted in place) in one driver call."""
        sql, processors = self._plan(conn)
        params = []
        for row in rows:
            for i, process in processors:
                row[i] = process(row[i])
            params.append(tuple(row))
        if params:
            conn.exec_driver_sql(sql, params)


def _json_dumps(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()
