"""Action items (``action_items``), and what they need to know of postmortems (read only:
the postmortem of an incident, the published ones whose follow-up review is due)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    and_,
    exists,
    insert,
    or_,
    select,
    update,
)

from tocsin.domain.action_items import ActionItem, ItemStatus
from tocsin.store.learning_tables import action_items, postmortems
from tocsin.store.tables import incidents

__all__ = [
    "Listed",
    "PublishedPostmortem",
    "TeamScope",
    "create",
    "follow_ups_due",
    "get",
    "listing",
    "postmortem_of",
    "reminder_candidates",
    "update_item",
]

_OPEN = (ItemStatus.OPEN.value, ItemStatus.IN_PROGRESS.value)


@dataclass(frozen=True)
class Listed:
    """An item with what lists show of its incident."""

    item: ActionItem
    incident_title: str
    incident_team: str | None


@dataclass(frozen=True)
class TeamScope:
    """A team's items: those its members own, and those of owners in no team at all whose
    incident is the team's."""

    name: str
    members: Collection[str]
    #: Everyone who is a member of some team.
    teamed: Collection[str]


@dataclass(frozen=True)
class PublishedPostmortem:
    id: int
    incident_id: int
    title: str
    published_at: datetime
    authors: tuple[str, ...]


def _item(r: RowMapping) -> ActionItem:
    return ActionItem(
        id=r["id"],
        incident_id=r["incident_id"],
        postmortem_id=r["postmortem_id"],
        title=r["title"],
        owner=r["owner"],
        due_at=r["due_at"],
        status=ItemStatus(r["status"]),
        ticket_url=r["ticket_url"],
        created_at=r["created_at"],
        created_by=r["created_by"],
        updated_at=r["updated_at"],
        closed_at=r["closed_at"],
    )


def create(conn: Connection, values: Mapping[str, Any]) -> int:
    result = conn.execute(insert(action_items), dict(values))
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def get(conn: Connection, item_id: int, *, lock: bool = False) -> ActionItem | None:
    """The item; ``lock`` holds its row to the end of the transaction (PostgreSQL), so two
    changes made at once are applied one after the other."""
    query = select(action_items).where(action_items.c.id == item_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return _item(row) if row else None


def update_item(conn: Connection, item_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(update(action_items).where(action_items.c.id == item_id).values(**values))


def listing(
    conn: Connection,
    *,
    item_id: int | None = None,
    incident_id: int | None = None,
    owner: str | None = None,
    team: TeamScope | None = None,
    statuses: Collection[str] | None = None,
    overdue_at: datetime | None = None,
    limit: int = 1000,
) -> list[Listed]:
    """Items matching every filter given, the soonest due first (no due date last).
    ``overdue_at``: only items not closed whose due instant has passed by then."""
    query = select(
        action_items, incidents.c.title.label("incident_title"), incidents.c.team.label("i_team")
    ).join(incidents, incidents.c.id == action_items.c.incident_id)
    where: list[ColumnElement[bool]] = []
    if item_id is not None:
        where.append(action_items.c.id == item_id)
    if incident_id is not None:
        where.append(action_items.c.incident_id == incident_id)
    if owner is not None:
        where.append(action_items.c.owner == owner)
    if team is not None:
        where.append(
            or_(
                action_items.c.owner.in_(list(team.members)),
                and_(
                    action_items.c.owner.not_in(list(team.teamed)),
                    incidents.c.team == team.name,
                ),
            )
        )
    if statuses:
        where.append(action_items.c.status.in_(list(statuses)))
    if overdue_at is not None:
        where += [action_items.c.status.in_(_OPEN), action_items.c.due_at < overdue_at]
    query = (
        query.where(*where)
        .order_by(action_items.c.due_at.is_(None), action_items.c.due_at, action_items.c.id)
        .limit(limit)
    )
    return [
        Listed(_item(r), r["incident_title"], r["i_team"]) for r in conn.execute(query).mappings()
    ]


def reminder_candidates(conn: Connection, due_before: datetime) -> list[ActionItem]:
    """Items not closed, with a due instant before ``due_before``."""
    rows = conn.execute(
        select(action_items)
        .where(
            action_items.c.status.in_(_OPEN),
            action_items.c.due_at.is_not(None),
            action_items.c.due_at < due_before,
        )
        .order_by(action_items.c.id)
    ).mappings()
    return [_item(r) for r in rows]


# -- postmortems, read only ------------------------------------------------------------------


def postmortem_of(conn: Connection, incident_id: int) -> int | None:
    """The id of the incident's postmortem, if it has one."""
    value = conn.execute(
        select(postmortems.c.id).where(postmortems.c.incident_id == incident_id)
    ).scalar_one_or_none()
    return int(value) if value is not None else None


def follow_ups_due(conn: Connection, published_by: datetime) -> list[PublishedPostmortem]:
    """Postmortems published at or before ``published_by`` with an action item (of theirs,
    or of their incident) that is not closed."""
    pending = exists().where(
        or_(
            action_items.c.postmortem_id == postmortems.c.id,
            action_items.c.incident_id == postmortems.c.incident_id,
        ),
        action_items.c.status.in_(_OPEN),
    )
    rows = conn.execute(
        select(
            postmortems.c.id,
            postmortems.c.incident_id,
            postmortems.c.title,
            postmortems.c.published_at,
            postmortems.c.authors,
        )
        .where(
            postmortems.c.published_at.is_not(None),
            postmortems.c.published_at <= published_by,
            pending,
        )
        .order_by(postmortems.c.id)
    ).mappings()
    return [
        PublishedPostmortem(
            r["id"],
            r["incident_id"],
            r["title"],
            r["published_at"],
            _people(r["authors"]),
        )
        for r in rows
    ]


def _people(value: Any) -> tuple[str, ...]:
    """User ids from a JSON column: a list of ids (or one id)."""
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str) and v)
    return ()
