"""Locks the nodes of a cluster take so that a step runs on one node at a time: PostgreSQL
advisory locks, held by a connection of their own until released (``exclusive``) or by a
transaction until it ends (``hold``). On SQLite (one writer at a time) there is nothing to
exclude."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Connection, text

from tocsin.store.database import Database

__all__ = ["STARTING", "exclusive", "hold"]

#: Starting up: a node's first writes (timers it makes sure exist, heartbeats, groups).
STARTING = 0x746F6373696E2D73  # "tocsin-s"


def hold(conn: Connection, key: int) -> None:
    """Hold the lock ``key`` until ``conn``'s transaction ends (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@contextlib.contextmanager
def exclusive(db: Database, key: int) -> Iterator[None]:
    """Run the block while no other node runs a block with the same ``key``."""
    if db.is_sqlite:
        yield
        return
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
