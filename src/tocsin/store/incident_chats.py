"""Incidents' chat rooms (``incident_chats``): one row per incident and provider, holding what
was made in chat and what it last showed (``RoomState``), and a revision the incident's
changes bump so a sync that raced a change runs again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tocsin.domain.incident_rooms import RoomState
from tocsin.store.tables import incident_chats as table

__all__ = [
    "ChatRow",
    "bump",
    "by_channel",
    "create",
    "for_incident",
    "get",
    "save",
]


@dataclass(frozen=True)
class ChatRow:
    id: int
    incident_id: int
    provider: str
    state: RoomState
    revision: int
    #: How many syncs were saved (a sync saves only over the one it started from).
    syncs: int
    requested_by: str
    created_at: datetime
    synced_at: datetime | None
    last_error: str | None


def _row(row: RowMapping) -> ChatRow:
    people = row["members"] or {}
    return ChatRow(
        id=row["id"],
        incident_id=row["incident_id"],
        provider=row["provider"],
        state=RoomState(
            channel_id=row["channel_id"],
            channel_name=row["channel_name"],
            card_ref=row["card_ref"],
            topic=row["topic"],
            card_hash=row["card_hash"],
            members=dict(people.get("in", {})),
            unknown=dict(people.get("unknown", {})),
            posted_upto=row["posted_upto"],
            posted=tuple(people.get("posted", ())),
        ),
        revision=row["revision"],
        syncs=row["syncs"],
        requested_by=row["requested_by"],
        created_at=row["created_at"],
        synced_at=row["synced_at"],
        last_error=row["last_error"],
    )


def get(conn: Connection, chat_id: int) -> ChatRow | None:
    row = conn.execute(select(table).where(table.c.id == chat_id)).mappings().first()
    return _row(row) if row else None


def for_incident(conn: Connection, incident_id: int) -> list[ChatRow]:
    rows = conn.execute(
        select(table).where(table.c.incident_id == incident_id).order_by(table.c.id)
    ).mappings()
    return [_row(r) for r in rows]


def by_channel(conn: Connection, channel_id: str) -> ChatRow | None:
    """The room that is this chat channel."""
    row = (
        conn.execute(select(table).where(table.c.channel_id == channel_id).order_by(table.c.id))
        .mappings()
        .first()
    )
    return _row(row) if row else None


def create(
    conn: Connection,
    incident_id: int,
    provider: str,
    requested_by: str,
    now: datetime,
    posted_upto: int = 0,
) -> int | None:
    """The new room's id; None if the incident has one with this provider already (also
    when another request made it at the same moment). Timeline entries up to
    ``posted_upto`` are not posted to it."""
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    result = conn.execute(
        insert_(table)
        .values(
            incident_id=incident_id,
            provider=provider,
            members={},
            requested_by=requested_by,
            revision=0,
            syncs=0,
            posted_upto=posted_upto,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["incident_id", "provider"])
        .returning(table.c.id)
    )
    found = result.scalar_one_or_none()
    return int(found) if found is not None else None


def bump(conn: Connection, incident_id: int) -> list[int]:
    """Note a change of the incident on its rooms; their ids."""
    ids = [
        int(i)
        for i in conn.execute(
            select(table.c.id).where(table.c.incident_id == incident_id)
        ).scalars()
    ]
    if ids:
        conn.execute(update(table).where(table.c.id.in_(ids)).values(revision=table.c.revision + 1))
    return ids


def save(
    conn: Connection, room: ChatRow, state: RoomState, now: datetime, error: str | None
) -> int | None:
    """Record what the room now is, unless another sync saved since ``room`` was read (the
    caller runs again); the room's current revision, or None when it did not save."""
    result = conn.execute(
        update(table)
        .where(table.c.id == room.id, table.c.syncs == room.syncs)
        .values(
            channel_id=state.channel_id,
            channel_name=state.channel_name,
            card_ref=state.card_ref,
            topic=state.topic,
            card_hash=state.card_hash,
            members={
                "in": dict(state.members),
                "unknown": dict(state.unknown),
                "posted": list(state.posted),
            },
            syncs=table.c.syncs + 1,
            synced_at=now,
            last_error=error,
        )
    )
    if result.rowcount != 1:
        return None
    return int(conn.execute(select(table.c.revision).where(table.c.id == room.id)).scalar_one())
