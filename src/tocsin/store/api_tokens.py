"""API tokens (``security_tables.api_tokens``): only their SHA-256 digests are stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from tocsin.store.change_feed import announce
from tocsin.store.security_tables import api_tokens as table

#: The change-feed topic: a token (API or integration) stopped working; every node forgets
#: the tokens it remembers (``services.token_cache``).
TOPIC = "tokens"

__all__ = ["TOPIC", "TokenRow", "by_hash", "get", "insert_token", "listing", "revoke", "touch"]


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    kind: str
    owner: str | None
    scope: str
    team: str | None
    prefix: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    def live(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


def _row(row: Any) -> TokenRow:
    return TokenRow(
        row.id,
        row.name,
        row.kind,
        row.owner,
        row.scope,
        row.team,
        row.prefix,
        row.created_at,
        row.created_by,
        row.expires_at,
        row.last_used_at,
        row.revoked_at,
        row.revoked_by,
    )


def insert_token(conn: Connection, digest: str, **values: Any) -> TokenRow:
    made = conn.execute(insert(table).values(hash=digest, **values)).inserted_primary_key
    assert made is not None
    found = get(conn, int(made[0]))
    assert found is not None
    return found


def get(conn: Connection, token_id: int) -> TokenRow | None:
    row = conn.execute(select(table).where(table.c.id == token_id)).first()
    return _row(row) if row else None


def by_hash(conn: Connection, digest: str) -> TokenRow | None:
    row = conn.execute(select(table).where(table.c.hash == digest)).first()
    return _row(row) if row else None


def listing(conn: Connection, owner: str | None = None, kind: str | None = None) -> list[TokenRow]:
    query = select(table).order_by(table.c.id.desc())
    if owner is not None:
        query = query.where(table.c.owner == owner)
    if kind is not None:
        query = query.where(table.c.kind == kind)
    return [_row(r) for r in conn.execute(query)]


def touch(conn: Connection, token_id: int, now: datetime) -> None:
    conn.execute(update(table).where(table.c.id == token_id).values(last_used_at=now))


def revoke(conn: Connection, token_id: int, now: datetime, by: str) -> bool:
    """Revoke a live token; whether it was live."""
    done = conn.execute(
        update(table)
        .where(table.c.id == token_id, table.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by)
    )
    announce(conn, TOPIC)
    return bool(done.rowcount)
