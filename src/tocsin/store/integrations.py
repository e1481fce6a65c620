"""Integration rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError

from tocsin.domain.integrations import Integration, IntegrationKind
from tocsin.errors import Conflict
from tocsin.store.api_tokens import TOPIC as TOKENS
from tocsin.store.change_feed import announce
from tocsin.store.tables import integrations

__all__ = ["by_name", "by_token_hash", "create", "list_all", "set_token_hash"]


def _to_integration(row: RowMapping) -> Integration:
    return Integration(
        id=row["id"],
        name=row["name"],
        kind=IntegrationKind(row["kind"]),
        token_hash=row["token_hash"],
        settings=row["settings"],
        created_at=row["created_at"],
        token_rotated_at=row["token_rotated_at"],
        team=row["team"],
    )


def create(
    conn: Connection,
    *,
    name: str,
    kind: IntegrationKind,
    token_hash: str,
    settings: Mapping[str, Any],
    now: datetime,
    team: str | None = None,
) -> Integration:
    if by_name(conn, name) is not None:
        raise Conflict(f"an integration named {name!r} already exists")
    try:
        new_id = conn.execute(
            insert(integrations).returning(integrations.c.id),
            {
                "name": name,
                "kind": kind.value,
                "token_hash": token_hash,
                "settings": dict(settings),
                "created_at": now,
                "token_rotated_at": now,
                "team": team,
            },
        ).scalar_one()
    except IntegrityError:
        raise Conflict(f"an integration named {name!r} already exists") from None
    return Integration(new_id, name, kind, token_hash, dict(settings), now, now, team)


def by_name(conn: Connection, name: str) -> Integration | None:
    row = conn.execute(select(integrations).where(integrations.c.name == name)).mappings().first()
    return _to_integration(row) if row else None


def by_token_hash(conn: Connection, token_hash: str) -> Integration | None:
    query = select(integrations).where(integrations.c.token_hash == token_hash)
    row = conn.execute(query).mappings().first()
    return _to_integration(row) if row else None


def list_all(conn: Connection) -> list[Integration]:
    rows = conn.execute(select(integrations).order_by(integrations.c.name)).mappings()
    return [_to_integration(r) for r in rows]


def set_token_hash(conn: Connection, integration_id: int, token_hash: str, now: datetime) -> None:
    conn.execute(
        update(integrations)
        .where(integrations.c.id == integration_id)
        .values(token_hash=token_hash, token_rotated_at=now)
    )
    announce(conn, TOKENS)
