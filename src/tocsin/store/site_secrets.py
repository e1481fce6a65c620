"""Secrets Tocsin makes for itself on first start (kept in the database, so every node of a
cluster and every restart uses the same one)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tocsin.store.tables import site_secrets as table

__all__ = ["get_or_create"]


def get_or_create(conn: Connection, name: str, now: datetime) -> str:
    """The secret ``name`` (64 hex characters), made the first time it is asked for."""
    value = conn.execute(select(table.c.value).where(table.c.name == name)).scalar_one_or_none()
    if value is not None:
        return str(value)
    # Two nodes starting at once may both get here: the first insert wins, both read it.
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    conn.execute(
        insert_(table)
        .values(name=name, value=secrets.token_hex(32), created_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return str(conn.execute(select(table.c.value).where(table.c.name == name)).scalar_one())
