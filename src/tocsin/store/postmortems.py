"""Postmortems in the ``postmortems`` table: one per incident, updated only at the version
the writer read (optimistic versioning), and the few facts of other tables a draft needs."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, exists, insert, select, update

from tocsin.domain.postmortem_template import ActionItemFact
from tocsin.domain.postmortems import Postmortem, PostmortemState, Reviewer
from tocsin.store.learning_tables import action_items, postmortems
from tocsin.store.tables import incidents

__all__ = [
    "Listed",
    "action_item_facts",
    "create",
    "for_incident",
    "listing",
    "needing_draft",
    "reminders_due",
    "save",
    "set_due",
    "unset_due",
]


@dataclass(frozen=True)
class Listed:
    """A postmortem in a list, with its incident's headline."""

    postmortem: Postmortem
    incident_title: str
    severity: str
    service: str | None


def _reviewers(raw: Any) -> tuple[Reviewer, ...]:
    out = []
    for r in raw or ():
        approved = r.get("approved_at")
        out.append(Reviewer(r["user"], datetime.fromisoformat(approved) if approved else None))
    return tuple(out)


def _postmortem(row: RowMapping) -> Postmortem:
    selection = row["timeline_selection"]
    return Postmortem(
        id=row["id"],
        incident_id=row["incident_id"],
        state=PostmortemState(row["state"]),
        title=row["title"],
        body=row["body"],
        version=row["version"],
        required=bool(row["required"]),
        created_at=row["created_at"],
        created_by=row["created_by"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
        root_cause_category=row["root_cause_category"],
        authors=tuple(row["authors"] or ()),
        reviewers=_reviewers(row["reviewers"]),
        timeline_selection=tuple(selection) if selection is not None else None,
        due_at=row["due_at"],
        submitted_at=row["submitted_at"],
        published_at=row["published_at"],
    )


def _values(pm: Postmortem) -> dict[str, Any]:
    """The row for ``pm`` (all but its id)."""
    return {
        "incident_id": pm.incident_id,
        "state": pm.state.value,
        "title": pm.title,
        "body": pm.body,
        "root_cause_category": pm.root_cause_category,
        "authors": list(pm.authors),
        "reviewers": [
            {
                "user": r.user,
                "approved_at": r.approved_at.isoformat() if r.approved_at else None,
            }
            for r in pm.reviewers
        ],
        "timeline_selection": (
            list(pm.timeline_selection) if pm.timeline_selection is not None else None
        ),
        "required": pm.required,
        "due_at": pm.due_at,
        "version": pm.version,
        "created_at": pm.created_at,
        "created_by": pm.created_by,
        "updated_at": pm.updated_at,
        "updated_by": pm.updated_by,
        "submitted_at": pm.submitted_at,
        "published_at": pm.published_at,
    }


def create(conn: Connection, pm: Postmortem) -> int:
    result = conn.execute(insert(postmortems), _values(pm))
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def for_incident(conn: Connection, incident_id: int, *, lock: bool = False) -> Postmortem | None:
    """The incident's postmortem; ``lock`` holds its row to the end of the transaction
    (PostgreSQL; SQLite's writers queue anyway)."""
    query = select(postmortems).where(postmortems.c.incident_id == incident_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return _postmortem(row) if row else None


def save(conn: Connection, pm: Postmortem, read_version: int) -> bool:
    """Write ``pm`` over the stored row if that is still at ``read_version``; False when
    someone saved another version meanwhile (nothing written)."""
    values = _values(pm)
    del values["incident_id"], values["created_at"], values["created_by"]
    result = conn.execute(
        update(postmortems)
        .where(postmortems.c.id == pm.id, postmortems.c.version == read_version)
        .values(**values)
    )
    return result.rowcount == 1


def listing(
    conn: Connection,
    *,
    states: Collection[str] = (),
    overdue_at: datetime | None = None,
    limit: int = 500,
) -> list[Listed]:
    """Postmortems, the soonest due first (then the newest); ``overdue_at``: only the
    required ones not published and past due then."""
    query = select(
        postmortems,
        incidents.c.title.label("incident_title"),
        incidents.c.severity.label("incident_severity"),
        incidents.c.service.label("incident_service"),
    ).join(incidents, incidents.c.id == postmortems.c.incident_id)
    if states:
        query = query.where(postmortems.c.state.in_(list(states)))
    if overdue_at is not None:
        query = query.where(
            postmortems.c.required.is_(True),
            postmortems.c.state != PostmortemState.PUBLISHED.value,
            postmortems.c.due_at < overdue_at,
        )
    query = query.order_by(
        postmortems.c.due_at.is_(None), postmortems.c.due_at, postmortems.c.id.desc()
    ).limit(limit)
    return [
        Listed(_postmortem(r), r["incident_title"], r["incident_severity"], r["incident_service"])
        for r in conn.execute(query).mappings()
    ]


def needing_draft(
    conn: Connection, severities: Collection[str], resolved_since: datetime, limit: int = 50
) -> list[int]:
    """Incidents of these severities resolved since then (not merged into another) that
    have no postmortem yet, oldest first."""
    if not severities:
        return []
    has_one = exists().where(postmortems.c.incident_id == incidents.c.id)
    query = (
        select(incidents.c.id)
        .where(
            incidents.c.status == "resolved",
            incidents.c.severity.in_(list(severities)),
            incidents.c.resolved_at >= resolved_since,
            incidents.c.merged_into.is_(None),
            incidents.c.drill.is_(False),  # drills need no postmortem (docs/drills.md)
            ~has_one,
        )
        .order_by(incidents.c.resolved_at, incidents.c.id)
        .limit(limit)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def unset_due(conn: Connection, limit: int = 50) -> list[tuple[int, datetime]]:
    """Required postmortems with no due date whose incident is now resolved: (incident id,
    resolved at). (A postmortem asked for before the incident ended gets its date then.)"""
    query = (
        select(incidents.c.id, incidents.c.resolved_at)
        .join(postmortems, postmortems.c.incident_id == incidents.c.id)
        .where(
            postmortems.c.required.is_(True),
            postmortems.c.due_at.is_(None),
            incidents.c.status == "resolved",
            incidents.c.resolved_at.is_not(None),
        )
        .limit(limit)
    )
    return [(int(r.id), r.resolved_at) for r in conn.execute(query)]


def reminders_due(
    conn: Connection, after: datetime, by: datetime, limit: int = 200
) -> list[Postmortem]:
    """Required postmortems not published that are due after ``after`` and by ``by``."""
    query = (
        select(postmortems)
        .where(
            and_(
                postmortems.c.required.is_(True),
                postmortems.c.state != PostmortemState.PUBLISHED.value,
                postmortems.c.due_at > after,
                postmortems.c.due_at <= by,
            )
        )
        .order_by(postmortems.c.due_at)
        .limit(limit)
    )
    return [_postmortem(r) for r in conn.execute(query).mappings()]


def action_item_facts(conn: Connection, incident_id: int) -> list[ActionItemFact]:
    """The incident's action items as a postmortem lists them (read only; the action items
    are kept by their own module)."""
    rows = conn.execute(
        select(
            action_items.c.title,
            action_items.c.owner,
            action_items.c.due_at,
            action_items.c.status,
        )
        .where(action_items.c.incident_id == incident_id)
        .order_by(action_items.c.id)
    )
    return [ActionItemFact(r.title, r.owner, r.due_at, r.status) for r in rows]


def set_due(conn: Connection, incident_id: int, due: datetime, now: datetime) -> None:
    conn.execute(
        update(postmortems)
        .where(postmortems.c.incident_id == incident_id)
        .values(due_at=due, updated_at=now)
    )
