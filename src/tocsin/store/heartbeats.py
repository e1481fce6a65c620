"""Heartbeat rows: what Tocsin knows of each heartbeat, and its token's hash."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from tocsin.domain.heartbeats import DownReason, HeartbeatState, HeartbeatStatus
from tocsin.store.heartbeat_tables import heartbeats
from tocsin.store.tables import timers

__all__ = [
    "Credentials",
    "all_rows",
    "by_name",
    "create",
    "credentials",
    "salts",
    "set_token",
    "timer_due_at",
    "update_row",
]


def _status(row: RowMapping) -> HeartbeatStatus:
    reason = row["down_reason"]
    return HeartbeatStatus(
        name=row["name"],
        state=HeartbeatState(row["state"]),
        first_seen_at=row["first_seen_at"],
        counting_from=row["counting_from"],
        last_ping_at=row["last_ping_at"],
        last_ping_source=row["last_ping_source"],
        pings=row["pings"],
        down_since=row["down_since"],
        down_reason=DownReason(reason) if reason else None,
        alert_labels=row["alert_labels"],
        token_rotated_at=row["token_rotated_at"],
        retired_at=row["retired_at"],
    )


def by_name(conn: Connection, name: str, *, lock: bool = False) -> HeartbeatStatus | None:
    query = select(heartbeats).where(heartbeats.c.name == name)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return _status(row) if row else None


def all_rows(conn: Connection, names: Collection[str] | None = None) -> dict[str, HeartbeatStatus]:
    query = select(heartbeats).order_by(heartbeats.c.name)
    if names is not None:
        query = query.where(heartbeats.c.name.in_(list(names)))
    return {r["name"]: _status(r) for r in conn.execute(query).mappings()}


def create(
    conn: Connection, name: str, *, token_hash: str, token_salt: str, now: datetime
) -> HeartbeatStatus:
    conn.execute(
        insert(heartbeats),
        {
            "name": name,
            "token_hash": token_hash,
            "token_salt": token_salt,
            "token_rotated_at": now,
            "state": HeartbeatState.WAITING.value,
            "first_seen_at": now,
            "counting_from": now,
            "pings": 0,
        },
    )
    return HeartbeatStatus(
        name=name,
        state=HeartbeatState.WAITING,
        first_seen_at=now,
        counting_from=now,
        token_rotated_at=now,
    )


def update_row(conn: Connection, name: str, **values: Any) -> None:
    """Set columns of the heartbeat ``name`` (enums as their values)."""
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, HeartbeatState | DownReason):
            value = value.value
        elif key == "alert_labels" and value is not None:
            value = dict(value)
        clean[key] = value
    conn.execute(update(heartbeats).where(heartbeats.c.name == name).values(**clean))


class Credentials:
    """A heartbeat's token hash and salt."""

    __slots__ = ("salt", "token_hash")

    def __init__(self, token_hash: str, salt: str) -> None:
        self.token_hash = token_hash
        self.salt = salt


def credentials(conn: Connection, name: str) -> Credentials | None:
    row = conn.execute(
        select(heartbeats.c.token_hash, heartbeats.c.token_salt).where(heartbeats.c.name == name)
    ).first()
    return Credentials(row.token_hash, row.token_salt) if row else None


def salts(conn: Connection) -> dict[str, str]:
    """Every heartbeat's token salt, by name."""
    rows = conn.execute(select(heartbeats.c.name, heartbeats.c.token_salt))
    return {r.name: r.token_salt for r in rows}


def set_token(conn: Connection, name: str, token_hash: str, salt: str, now: datetime) -> None:
    update_row(conn, name, token_hash=token_hash, token_salt=salt, token_rotated_at=now)


def timer_due_at(conn: Connection, kind: str, key: str) -> datetime | None:
    """When the engine's timer (kind, key) is due, None if there is none: a recurring
    timer's due time tells when an engine last ran it (the engine's pulse)."""
    due: datetime | None = conn.execute(
        select(timers.c.due_at).where(timers.c.kind == kind, timers.c.key == key)
    ).scalar_one_or_none()
    return due
