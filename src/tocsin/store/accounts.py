"""Web sign-in: accounts (password hashes, self-service profiles) and browser sessions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from tocsin.store.change_feed import announce
from tocsin.store.tables import accounts as table
from tocsin.store.tables import web_sessions as sessions

#: The change-feed topic: accounts or profiles changed (each node reloads the people).
TOPIC = "accounts"

__all__ = [
    "TOPIC",
    "Account",
    "SessionRow",
    "all_accounts",
    "delete_expired_sessions",
    "delete_session",
    "delete_sessions_of",
    "get",
    "get_session",
    "insert_session",
    "save",
    "set_password",
    "set_profile",
    "touch_session",
]


@dataclass(frozen=True)
class Account:
    user_id: str
    password_hash: str | None
    admin: bool
    name: str
    email: str | None
    profile: Mapping[str, Any] | None
    created_at: datetime
    updated_at: datetime
    #: stakeholder, viewer, responder or admin (None: responder, or admin when ``admin``).
    role: str | None = None


@dataclass(frozen=True)
class SessionRow:
    user_id: str
    csrf: str
    created_at: datetime
    seen_at: datetime
    expires_at: datetime


def _account(row: Any) -> Account:
    return Account(
        row.user_id,
        row.password_hash,
        bool(row.admin),
        row.name,
        row.email,
        row.profile,
        row.created_at,
        row.updated_at,
        row.role,
    )


def get(conn: Connection, user_id: str) -> Account | None:
    row = conn.execute(select(table).where(table.c.user_id == user_id)).first()
    return _account(row) if row is not None else None


def all_accounts(conn: Connection) -> list[Account]:
    return [_account(r) for r in conn.execute(select(table).order_by(table.c.user_id))]


def save(
    conn: Connection,
    user_id: str,
    now: datetime,
    *,
    admin: bool,
    name: str = "",
    email: str | None = None,
    password_hash: str | None = None,
    role: str | None = None,
) -> None:
    """Make the account, or update its name, email, admin flag and role (and password, if
    given)."""
    values: dict[str, Any] = {
        "admin": admin,
        "name": name,
        "email": email,
        "role": role,
        "updated_at": now,
    }
    if password_hash is not None:
        values["password_hash"] = password_hash
    if get(conn, user_id) is None:
        conn.execute(insert(table), {"user_id": user_id, "created_at": now, **values})
    else:
        conn.execute(update(table).where(table.c.user_id == user_id).values(**values))
    announce(conn, TOPIC)


def set_password(conn: Connection, user_id: str, password_hash: str, now: datetime) -> None:
    conn.execute(
        update(table)
        .where(table.c.user_id == user_id)
        .values(password_hash=password_hash, updated_at=now)
    )


def set_profile(
    conn: Connection, user_id: str, profile: Mapping[str, Any] | None, now: datetime
) -> None:
    conn.execute(
        update(table)
        .where(table.c.user_id == user_id)
        .values(profile=dict(profile) if profile is not None else None, updated_at=now)
    )
    announce(conn, TOPIC)


def insert_session(
    conn: Connection, token_hash: str, user_id: str, csrf: str, now: datetime, expires: datetime
) -> None:
    conn.execute(
        insert(sessions),
        {
            "token_hash": token_hash,
            "user_id": user_id,
            "csrf": csrf,
            "created_at": now,
            "seen_at": now,
            "expires_at": expires,
        },
    )


def get_session(conn: Connection, token_hash: str) -> SessionRow | None:
    row = conn.execute(select(sessions).where(sessions.c.token_hash == token_hash)).first()
    if row is None:
        return None
    return SessionRow(row.user_id, row.csrf, row.created_at, row.seen_at, row.expires_at)


def touch_session(conn: Connection, token_hash: str, now: datetime, expires: datetime) -> None:
    conn.execute(
        update(sessions)
        .where(sessions.c.token_hash == token_hash)
        .values(seen_at=now, expires_at=expires)
    )


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))


def delete_sessions_of(conn: Connection, user_id: str) -> None:
    """Sign ``user_id`` out everywhere."""
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


def delete_expired_sessions(conn: Connection, now: datetime) -> int:
    return conn.execute(delete(sessions).where(sessions.c.expires_at < now)).rowcount
