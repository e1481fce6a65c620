"""Public incidents and scheduled maintenances, with their updates and components."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from tocsin.domain.status_page import ComponentStatus
from tocsin.store.status_tables import public_incident_components as links_table
from tocsin.store.status_tables import public_incident_updates as updates_table
from tocsin.store.status_tables import public_incidents as table

__all__ = [
    "INCIDENT",
    "MAINTENANCE",
    "PublicIncident",
    "Update",
    "add_update",
    "count",
    "create",
    "delete_incident",
    "get",
    "held_by_others",
    "link",
    "linked_to",
    "listing",
    "set_fields",
    "set_holds",
]

INCIDENT, MAINTENANCE = "incident", "maintenance"


@dataclass(frozen=True, slots=True)
class Update:
    id: int
    public_id: int
    status: str
    body: str
    created_at: datetime
    created_by: str
    #: [{"code", "name", "old_status", "new_status"}]
    affected_components: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class PublicIncident:
    id: int
    kind: str
    incident_id: int | None
    name: str
    status: str
    impact: str
    created_at: datetime
    updated_at: datetime
    started_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    auto_start: bool
    auto_complete: bool
    created_by: str
    components: tuple[int, ...] = ()
    #: Newest first, as Statuspage lists them.
    updates: tuple[Update, ...] = ()
    #: Component id -> the status this holds it at (only those it holds).
    holds: Mapping[int, ComponentStatus] = field(default_factory=dict)


def create(conn: Connection, **values: Any) -> int:
    result = conn.execute(insert(table), values)
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def set_fields(conn: Connection, public_id: int, **values: Any) -> None:
    conn.execute(update(table).where(table.c.id == public_id).values(**values))


def link(conn: Connection, public_id: int, ids: Collection[int]) -> None:
    """Add components to the ones the incident affects (those linked stay as they are)."""
    have = set(
        conn.execute(
            select(links_table.c.component_id).where(links_table.c.public_id == public_id)
        ).scalars()
    )
    new = sorted(set(ids) - have)
    if new:
        conn.execute(
            insert(links_table),
            [{"public_id": public_id, "component_id": i, "status": None} for i in new],
        )


def set_holds(
    conn: Connection, public_id: int, holds: Mapping[int, ComponentStatus | None]
) -> None:
    """What the incident holds each of these linked components at (None: nothing)."""
    for component_id, status in holds.items():
        conn.execute(
            update(links_table)
            .where(links_table.c.public_id == public_id, links_table.c.component_id == component_id)
            .values(status=status.value if status is not None else None)
        )


def held_by_others(
    conn: Connection, public_id: int, ids: Collection[int]
) -> dict[int, list[ComponentStatus]]:
    """What the other unresolved incidents and maintenances hold components ``ids`` at."""
    query = (
        select(links_table.c.component_id, links_table.c.status)
        .join(table, table.c.id == links_table.c.public_id)
        .where(
            links_table.c.component_id.in_(list(ids)),
            links_table.c.public_id != public_id,
            links_table.c.status.is_not(None),
            table.c.resolved_at.is_(None),
        )
    )
    out: dict[int, list[ComponentStatus]] = {}
    for component_id, status in conn.execute(query):
        out.setdefault(component_id, []).append(ComponentStatus(status))
    return out


def add_update(
    conn: Connection,
    public_id: int,
    *,
    status: str,
    body: str,
    now: datetime,
    actor: str,
    affected: Sequence[Mapping[str, Any]],
) -> int:
    result = conn.execute(
        insert(updates_table),
        {
            "public_id": public_id,
            "status": status,
            "body": body,
            "created_at": now,
            "created_by": actor,
            "affected_components": [dict(a) for a in affected],
        },
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def delete_incident(conn: Connection, public_id: int) -> bool:
    conn.execute(delete(updates_table).where(updates_table.c.public_id == public_id))
    conn.execute(delete(links_table).where(links_table.c.public_id == public_id))
    return bool(conn.execute(delete(table).where(table.c.id == public_id)).rowcount)


def _load(conn: Connection, rows: Sequence[RowMapping]) -> list[PublicIncident]:
    """Incidents with their updates and components, in three queries."""
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    updates: dict[int, list[Update]] = {}
    query = (
        select(updates_table)
        .where(updates_table.c.public_id.in_(ids))
        .order_by(updates_table.c.public_id, updates_table.c.id.desc())
    )
    for u in conn.execute(query).mappings():
        updates.setdefault(u["public_id"], []).append(
            Update(
                u["id"],
                u["public_id"],
                u["status"],
                u["body"],
                u["created_at"],
                u["created_by"],
                u["affected_components"] or [],
            )
        )
    links: dict[int, list[int]] = {}
    holds: dict[int, dict[int, ComponentStatus]] = {}
    query = select(links_table).where(links_table.c.public_id.in_(ids))
    for row in conn.execute(query):
        links.setdefault(row.public_id, []).append(row.component_id)
        if row.status is not None:
            holds.setdefault(row.public_id, {})[row.component_id] = ComponentStatus(row.status)
    return [
        PublicIncident(
            id=r["id"],
            kind=r["kind"],
            incident_id=r["incident_id"],
            name=r["name"],
            status=r["status"],
            impact=r["impact"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
            started_at=r["started_at"],
            monitoring_at=r["monitoring_at"],
            resolved_at=r["resolved_at"],
            scheduled_for=r["scheduled_for"],
            scheduled_until=r["scheduled_until"],
            auto_start=r["auto_start"],
            auto_complete=r["auto_complete"],
            created_by=r["created_by"],
            components=tuple(sorted(links.get(r["id"], ()))),
            updates=tuple(updates.get(r["id"], ())),
            holds=holds.get(r["id"], {}),
        )
        for r in rows
    ]


def get(conn: Connection, public_id: int, *, lock: bool = False) -> PublicIncident | None:
    query = select(table).where(table.c.id == public_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return _load(conn, [row])[0] if row else None


def listing(
    conn: Connection,
    kind: str | None = None,
    *,
    active: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    statuses: Collection[str] | None = None,
    soonest_first: bool = False,
) -> list[PublicIncident]:
    """Newest first (by when they were made); ``active``: unresolved only (True) or
    resolved only (False); ``soonest_first``: by scheduled_for instead (maintenances)."""
    query = select(table)
    if kind is not None:
        query = query.where(table.c.kind == kind)
    if active is True:
        query = query.where(table.c.resolved_at.is_(None))
    elif active is False:
        query = query.where(table.c.resolved_at.is_not(None))
    if statuses is not None:
        query = query.where(table.c.status.in_(list(statuses)))
    if soonest_first:
        query = query.order_by(table.c.scheduled_for, table.c.id)
    else:
        query = query.order_by(table.c.created_at.desc(), table.c.id.desc())
    query = query.limit(limit).offset(offset)
    return _load(conn, list(conn.execute(query).mappings()))


def linked_to(conn: Connection, incident_id: int) -> list[PublicIncident]:
    """The public incidents published for internal incident ``incident_id``, newest first."""
    query = (
        select(table)
        .where(table.c.incident_id == incident_id)
        .order_by(table.c.created_at.desc(), table.c.id.desc())
    )
    return _load(conn, list(conn.execute(query).mappings()))


def count(conn: Connection, kind: str, *, resolved: bool) -> int:
    query = select(func.count()).select_from(table).where(table.c.kind == kind)
    column = table.c.resolved_at
    query = query.where(column.is_not(None) if resolved else column.is_(None))
    return int(conn.execute(query).scalar_one())
