"""Per-person secret tokens (their calendar feed), stored as SHA-256 digests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from tocsin.store.tables import user_tokens as table

__all__ = ["replace_token", "user_for"]


def replace_token(conn: Connection, user_id: str, token_hash: str, now: datetime) -> None:
    conn.execute(delete(table).where(table.c.user_id == user_id))
    conn.execute(insert(table), {"user_id": user_id, "token_hash": token_hash, "created_at": now})


def user_for(conn: Connection, token_hash: str) -> str | None:
    return conn.execute(
        select(table.c.user_id).where(table.c.token_hash == token_hash)
    ).scalar_one_or_none()
