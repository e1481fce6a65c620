"""The nodes running against this database (docs/cluster.md): each registers when it
starts, says it is alive every few seconds and leaves when it stops."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select, text, update

from tocsin.store.cluster_tables import nodes as table

__all__ = ["Node", "beat", "database_now", "forget_before", "leave", "listed", "register"]


@dataclass(frozen=True)
class Node:
    id: str
    host: str
    pid: int
    address: str
    version: str
    schema_revision: str | None
    config_version: int | None
    started_at: datetime
    seen_at: datetime


def register(conn: Connection, node: Node) -> None:
    conn.execute(delete(table).where(table.c.id == node.id))
    conn.execute(table.insert().values(**node.__dict__))


def beat(conn: Connection, node_id: str, now: datetime, config_version: int | None) -> bool:
    """Alive at ``now``; False when the row is gone (pruned while this node was away)."""
    result = conn.execute(
        update(table)
        .where(table.c.id == node_id)
        .values(seen_at=now, config_version=config_version)
    )
    return result.rowcount == 1


def database_now(conn: Connection) -> datetime | None:
    """The database server's clock (PostgreSQL; None on SQLite, which has no server)."""
    if conn.dialect.name != "postgresql":
        return None
    value: datetime = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    return value


def leave(conn: Connection, node_id: str) -> None:
    conn.execute(delete(table).where(table.c.id == node_id))


def forget_before(conn: Connection, before: datetime) -> int:
    """Forget nodes not seen since ``before`` (they died without leaving)."""
    return conn.execute(delete(table).where(table.c.seen_at < before)).rowcount


def listed(conn: Connection) -> list[Node]:
    rows = conn.execute(select(table).order_by(table.c.started_at, table.c.id)).mappings()
    return [Node(**r) for r in rows]
