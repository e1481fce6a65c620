"""Failed sign-ins per account and per client address (``security_tables``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tocsin.domain.sign_in_lockout import Counter
from tocsin.store.security_tables import sign_in_failures as table

__all__ = ["clear", "forget_before", "get", "hold", "locked_keys", "put"]


def get(conn: Connection, key: str, *, lock: bool = False) -> Counter | None:
    """The counter for ``key``; ``lock`` holds its row until the transaction ends (on
    PostgreSQL; SQLite's write transactions are serial already)."""
    query = select(table).where(table.c.key == key)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return None
    return Counter(row.failures, row.window_start, row.lockouts, row.locked_until)


def hold(conn: Connection, keys: Sequence[str], now: datetime) -> None:
    """Make sure each key has a row (none tried yet: zero) so ``get(lock=True)`` has a row
    to hold: two nodes counting a first try at once then queue instead of both counting
    from nothing (PostgreSQL; SQLite's write transactions are serial already)."""
    if conn.dialect.name != "postgresql" or not keys:
        return
    conn.execute(
        postgresql_insert(table)
        .values(
            [
                {
                    "key": key,
                    "failures": 0,
                    "window_start": now,
                    "lockouts": 0,
                    "locked_until": None,
                    "updated_at": now,
                }
                for key in sorted(keys)
            ]
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )


def put(conn: Connection, key: str, counter: Counter, now: datetime) -> None:
    values = {
        "failures": counter.failures,
        "window_start": counter.window_start,
        "lockouts": counter.lockouts,
        "locked_until": counter.locked_until,
        "updated_at": now,
    }
    done = conn.execute(update(table).where(table.c.key == key).values(**values)).rowcount
    if done:
        return
    # Two nodes counting a first try at once: both rows say one try; either is right.
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    conn.execute(
        insert_(table).values(key=key, **values).on_conflict_do_nothing(index_elements=["key"])
    )


def clear(conn: Connection, key: str) -> bool:
    """Forget ``key``'s failures and lockout; whether there were any."""
    return bool(conn.execute(delete(table).where(table.c.key == key)).rowcount)


def locked_keys(conn: Connection, now: datetime) -> dict[str, datetime]:
    """Every key locked at ``now``, with when its lockout ends."""
    rows = conn.execute(select(table.c.key, table.c.locked_until).where(table.c.locked_until > now))
    return {row.key: row.locked_until for row in rows}


def forget_before(conn: Connection, before: datetime) -> int:
    """Delete counters untouched since ``before`` (their tries and lockouts no longer count)."""
    return conn.execute(delete(table).where(table.c.updated_at < before)).rowcount
