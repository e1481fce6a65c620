"""Secrets Tocsin makes for itself on first start (kept in the database, so every node of a
cluster and every restart uses the same one)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import Connection, insert, select

from tocsin.store.tables import site_secrets as table

__all__ = ["get_or_create"]


def get_or_create(conn: Connection, name: str, now: datetime) -> str:
    """The secret ``name`` (64 hex characters), made the first time it is asked for."""
    value = conn.execute(select(table.c.value).where(table.c.name == name)).scalar_one_or_none()
    if value is not None:
        return str(value)
    made = secrets.token_hex(32)
    conn.execute(insert(table), {"name": name, "value": made, "created_at": now})
    return made
