"""The status page, its component groups and components, and every component's status
history (what uptime is computed from)."""

from __future__ import annotations

import secrets
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tocsin.domain.status_page import ComponentStatus
from tocsin.domain.status_uptime import Change
from tocsin.store.status_tables import public_incident_components as links_table
from tocsin.store.status_tables import status_component_days as days_table
from tocsin.store.status_tables import status_component_history as history_table
from tocsin.store.status_tables import status_components as components_table
from tocsin.store.status_tables import status_groups as groups_table
from tocsin.store.status_tables import status_page as page_table

__all__ = [
    "Component",
    "Group",
    "Page",
    "StatusChange",
    "component",
    "components",
    "create_component",
    "create_group",
    "delete_component",
    "delete_group",
    "ensure_page",
    "group",
    "groups",
    "history",
    "history_from",
    "page",
    "set_page",
    "set_status",
    "set_statuses",
    "touch",
    "update_component",
    "update_group",
]

_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True, slots=True)
class Page:
    page_id: str
    name: str
    time_zone: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    name: str
    description: str | None
    position: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Component:
    id: int
    group_id: int | None
    name: str
    description: str | None
    position: int
    status: ComponentStatus
    only_show_if_degraded: bool
    showcase: bool
    created_at: datetime
    updated_at: datetime


def page(conn: Connection, now: datetime) -> Page:
    """The page's row (made by migration 0009). Reading never writes: should the row be
    missing, this is the page as it would be made, and the first change makes it."""
    row = conn.execute(select(page_table).where(page_table.c.id == 1)).mappings().first()
    if row is None:
        return Page("", "Status", "Etc/UTC", now)
    return Page(row["page_id"], row["name"], row["time_zone"], row["updated_at"])


def ensure_page(conn: Connection, now: datetime) -> None:
    """Make the page's row if it is missing (INSERT ... ON CONFLICT DO NOTHING: two
    writers at once make one)."""
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    conn.execute(
        insert_(page_table)
        .values(
            id=1,
            page_id="".join(secrets.choice(_ALPHABET) for _ in range(12)),
            name="Status",
            time_zone="Etc/UTC",
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )


def set_page(conn: Connection, now: datetime, **values: Any) -> Page:
    ensure_page(conn, now)
    conn.execute(update(page_table).where(page_table.c.id == 1).values(updated_at=now, **values))
    return page(conn, now)


def touch(conn: Connection, now: datetime) -> None:
    """Something public changed: the page's ``updated_at`` moves."""
    result = conn.execute(update(page_table).where(page_table.c.id == 1).values(updated_at=now))
    if not result.rowcount:
        ensure_page(conn, now)


def _group(row: RowMapping) -> Group:
    return Group(
        row["id"],
        row["name"],
        row["description"],
        row["position"],
        row["created_at"],
        row["updated_at"],
    )


def groups(conn: Connection) -> list[Group]:
    query = select(groups_table).order_by(groups_table.c.position, groups_table.c.id)
    return [_group(r) for r in conn.execute(query).mappings()]


def group(conn: Connection, group_id: int) -> Group | None:
    row = conn.execute(select(groups_table).where(groups_table.c.id == group_id)).mappings()
    found = row.first()
    return _group(found) if found else None


def _next_position(conn: Connection, column: Any) -> int:
    top = conn.execute(select(func.max(column))).scalar_one_or_none()
    return int(top or 0) + 1


def create_group(
    conn: Connection, *, name: str, description: str | None, position: int | None, now: datetime
) -> Group:
    if position is None:
        position = _next_position(conn, groups_table.c.position)
    result = conn.execute(
        insert(groups_table),
        {
            "name": name,
            "description": description,
            "position": position,
            "created_at": now,
            "updated_at": now,
        },
    )
    assert result.inserted_primary_key is not None
    found = group(conn, int(result.inserted_primary_key[0]))
    assert found is not None
    return found


def update_group(conn: Connection, group_id: int, now: datetime, **values: Any) -> None:
    conn.execute(
        update(groups_table).where(groups_table.c.id == group_id).values(updated_at=now, **values)
    )


def delete_group(conn: Connection, group_id: int) -> bool:
    """Delete the group; its components stay, ungrouped."""
    conn.execute(
        update(components_table)
        .where(components_table.c.group_id == group_id)
        .values(group_id=None)
    )
    result = conn.execute(delete(groups_table).where(groups_table.c.id == group_id))
    return bool(result.rowcount)


def _component(row: RowMapping) -> Component:
    return Component(
        row["id"],
        row["group_id"],
        row["name"],
        row["description"],
        row["position"],
        ComponentStatus(row["status"]),
        row["only_show_if_degraded"],
        row["showcase"],
        row["created_at"],
        row["updated_at"],
    )


def components(conn: Connection, ids: Collection[int] | None = None) -> list[Component]:
    """Components in their page order (position, then id)."""
    query = select(components_table).order_by(components_table.c.position, components_table.c.id)
    if ids is not None:
        query = query.where(components_table.c.id.in_(list(ids)))
    return [_component(r) for r in conn.execute(query).mappings()]


def component(conn: Connection, component_id: int) -> Component | None:
    query = select(components_table).where(components_table.c.id == component_id)
    row = conn.execute(query).mappings().first()
    return _component(row) if row else None


def create_component(
    conn: Connection,
    *,
    name: str,
    description: str | None,
    group_id: int | None,
    position: int | None,
    status: ComponentStatus,
    only_show_if_degraded: bool,
    showcase: bool,
    now: datetime,
) -> Component:
    if position is None:
        position = _next_position(conn, components_table.c.position)
    result = conn.execute(
        insert(components_table),
        {
            "group_id": group_id,
            "name": name,
            "description": description,
            "position": position,
            "status": status.value,
            "only_show_if_degraded": only_show_if_degraded,
            "showcase": showcase,
            "created_at": now,
            "updated_at": now,
        },
    )
    assert result.inserted_primary_key is not None
    component_id = int(result.inserted_primary_key[0])
    conn.execute(
        insert(history_table),
        {"component_id": component_id, "status": status.value, "since": now},
    )
    found = component(conn, component_id)
    assert found is not None
    return found


def update_component(conn: Connection, component_id: int, now: datetime, **values: Any) -> None:
    conn.execute(
        update(components_table)
        .where(components_table.c.id == component_id)
        .values(updated_at=now, **values)
    )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A component's status changed: from ``old``; ``change_id`` is its history row's id
    (never used again: what webhooks name the change by)."""

    component_id: int
    old: ComponentStatus
    new: ComponentStatus
    change_id: int


def set_status(
    conn: Connection, component_id: int, status: ComponentStatus, now: datetime
) -> tuple[ComponentStatus, StatusChange | None] | None:
    """Give the component ``status`` from ``now`` on, on record in its history: the status
    it had and the change (None when it already had it; None for both: no such component)."""
    query = select(components_table.c.status).where(components_table.c.id == component_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    old = conn.execute(query).scalar_one_or_none()
    if old is None:
        return None
    before = ComponentStatus(old)
    if before is status:
        return before, None
    update_component(conn, component_id, now, status=status.value)
    result = conn.execute(
        insert(history_table),
        {"component_id": component_id, "status": status.value, "since": now},
    )
    assert result.inserted_primary_key is not None
    return before, StatusChange(component_id, before, status, int(result.inserted_primary_key[0]))


def set_statuses(
    conn: Connection, statuses: Mapping[int, ComponentStatus], now: datetime
) -> list[StatusChange]:
    """``set_status`` for many; the changes made."""
    out: list[StatusChange] = []
    for component_id, status in statuses.items():
        found = set_status(conn, component_id, status, now)
        if found is not None and found[1] is not None:
            out.append(found[1])
    return out


def delete_component(conn: Connection, component_id: int) -> bool:
    """Delete the component with its history, its kept days and its links to incidents and
    maintenances (its id is never used again, and nothing is left pointing at it)."""
    conn.execute(delete(history_table).where(history_table.c.component_id == component_id))
    conn.execute(delete(days_table).where(days_table.c.component_id == component_id))
    conn.execute(delete(links_table).where(links_table.c.component_id == component_id))
    result = conn.execute(delete(components_table).where(components_table.c.id == component_id))
    return bool(result.rowcount)


def history(
    conn: Connection, since: datetime, ids: Collection[int] | None = None
) -> dict[int, list[Change]]:
    """Each component's status changes from ``since`` on, led by the change in force at
    ``since`` (so the first day is complete), in time order."""
    h = history_table
    latest_before = (
        select(h.c.component_id, func.max(h.c.since).label("since"))
        .where(h.c.since <= since)
        .group_by(h.c.component_id)
        .subquery()
    )
    lead = select(h.c.component_id, h.c.status, h.c.since, h.c.id).join(
        latest_before,
        and_(h.c.component_id == latest_before.c.component_id, h.c.since == latest_before.c.since),
    )
    later = select(h.c.component_id, h.c.status, h.c.since, h.c.id).where(h.c.since > since)
    if ids is not None:
        lead = lead.where(h.c.component_id.in_(list(ids)))
        later = later.where(h.c.component_id.in_(list(ids)))
    rows = list(conn.execute(lead)) + list(conn.execute(later))
    rows.sort(key=lambda r: (r[2], r[3]))
    members = {s.value: s for s in ComponentStatus}
    out: dict[int, list[Change]] = {}
    for component_id, status, at, _ in rows:
        found = out.get(component_id)
        if found is None:
            found = out[component_id] = []
        found.append(Change(at, members[status]))
    return out


def history_from(
    conn: Connection, start: datetime, ids: Collection[int]
) -> dict[int, list[Change]]:
    """Each component's status changes at or after ``start`` (nothing before), in time
    order: with what was in force at ``start``, all a day from ``start`` needs."""
    h = history_table
    query = (
        select(h.c.component_id, h.c.status, h.c.since)
        .where(h.c.since >= start)
        .order_by(h.c.since, h.c.id)
    )
    wanted = set(ids)  # a day's changes of every component are few: no IN list to compile
    members = {s.value: s for s in ComponentStatus}
    out: dict[int, list[Change]] = {}
    for component_id, status, at in conn.execute(query).all():
        if component_id in wanted:
            out.setdefault(component_id, []).append(Change(at, members[status]))
    return out
