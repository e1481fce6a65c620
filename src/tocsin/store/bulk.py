"""Many rows in one driver call, for the intake path.

SQLAlchemy's executemany builds and processes every row's parameters through its compiler,
which costs more than the database does for small rows. ``Bulk`` renders the statement once
per dialect, takes each column's own bind processor (so values are stored exactly as
SQLAlchemy would store them), and hands the driver plain tuples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table

__all__ = ["Bulk"]

Processor = Callable[[Any], Any] | None


class Bulk:
    """``INSERT`` or ``UPDATE ... WHERE key = ?`` of the named columns of ``table``."""

    def __init__(self, table: Table, columns: Sequence[str], *, where: str | None = None) -> None:
        self.table = table
        self.columns = list(columns)
        self.where = where
        self._plans: dict[str, tuple[str, list[Processor]]] = {}

    def _plan(self, conn: Connection) -> tuple[str, list[Processor]]:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            mark = "?" if dialect.paramstyle == "qmark" else "%s"
            quote = dialect.identifier_preparer.quote
            names = [*self.columns, *([self.where] if self.where else [])]
            processors: list[Processor] = [
                self.table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                for name in names
            ]
            if self.where is None:
                cols = ", ".join(quote(c) for c in self.columns)
                marks = ", ".join(mark for _ in self.columns)
                sql = f"INSERT INTO {quote(self.table.name)} ({cols}) VALUES ({marks})"
            else:
                sets = ", ".join(f"{quote(c)} = {mark}" for c in self.columns)
                sql = (
                    f"UPDATE {quote(self.table.name)} SET {sets} WHERE {quote(self.where)} = {mark}"
                )
            plan = (sql, processors)
            self._plans[dialect.name] = plan
        return plan

    def execute(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        sql, processors = self._plan(conn)
        names = [*self.columns, *([self.where] if self.where else [])]
        params = [
            tuple(
                p(row[name]) if p is not None else row[name]
                for name, p in zip(names, processors, strict=True)
            )
            for row in rows
        ]
        if params:
            conn.exec_driver_sql(sql, params)
