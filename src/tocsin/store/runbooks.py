"""Runbooks in the ``runbooks`` table (written in the UI or by API; updated only at the version
the writer read), and the ``incident_runbooks`` links: which incidents used which runbook."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, insert, select, update

from tocsin.domain.incidents import Severity, Status
from tocsin.domain.matchers import parse_matchers
from tocsin.domain.runbooks import Runbook
from tocsin.store.runbook_tables import incident_runbooks as links
from tocsin.store.runbook_tables import runbooks as table
from tocsin.store.tables import incidents

__all__ = [
    "Link",
    "Used",
    "all_runbooks",
    "create",
    "get",
    "link",
    "links_of",
    "review_candidates",
    "reviewed",
    "save",
    "settle_review",
    "used_by",
]


@dataclass(frozen=True)
class Used:
    """An incident that used a runbook (its "previous incidents")."""

    incident_id: int
    title: str
    severity: Severity
    status: Status
    created_at: datetime
    resolved_at: datetime | None
    first_matched_at: datetime

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self.resolved_at - self.created_at if self.resolved_at else None


@dataclass(frozen=True)
class Link:
    """A runbook an incident used, and whether its owner has been asked to review it."""

    incident_id: int
    slug: str
    first_matched_at: datetime
    review_asked_at: datetime | None


def _runbook(row: RowMapping) -> Runbook:
    matchers = tuple(m for text in row["matchers"] or () for m in parse_matchers(text))
    every = row["review_every"]
    return Runbook(
        slug=row["slug"],
        title=row["title"],
        body=row["body"],
        alerts=tuple(row["alerts"] or ()),
        matchers=matchers,
        service=row["service"],
        owner=row["owner"],
        last_reviewed=row["last_reviewed"],
        review_every=timedelta(seconds=every) if every else None,
        version=row["version"],
        updated_by=row["updated_by"],
    )


def _values(rb: Runbook) -> dict[str, Any]:
    return {
        "title": rb.title,
        "alerts": list(rb.alerts),
        "matchers": [str(m) for m in rb.matchers],
        "service": rb.service,
        "owner": rb.owner,
        "last_reviewed": rb.last_reviewed,
        "review_every": int(rb.review_every.total_seconds()) if rb.review_every else None,
        "body": rb.body,
    }


def all_runbooks(conn: Connection) -> list[Runbook]:
    return [_runbook(r) for r in conn.execute(select(table).order_by(table.c.slug)).mappings()]


def get(conn: Connection, slug: str) -> Runbook | None:
    row = conn.execute(select(table).where(table.c.slug == slug)).mappings().first()
    return _runbook(row) if row is not None else None


def create(conn: Connection, rb: Runbook, who: str, now: datetime) -> Runbook:
    conn.execute(
        insert(table),
        {
            **_values(rb),
            "slug": rb.slug,
            "version": 1,
            "created_at": now,
            "created_by": who,
            "updated_at": now,
            "updated_by": who,
        },
    )
    made = get(conn, rb.slug)
    assert made is not None
    return made


def save(conn: Connection, rb: Runbook, version: int, who: str, now: datetime) -> bool:
    """Store ``rb`` over the stored one if that is still at ``version``."""
    done = conn.execute(
        update(table)
        .where(and_(table.c.slug == rb.slug, table.c.version == version))
        .values(**_values(rb), version=version + 1, updated_at=now, updated_by=who)
    )
    return done.rowcount == 1


def reviewed(conn: Connection, slug: str, day: date, who: str, now: datetime) -> bool:
    done = conn.execute(
        update(table)
        .where(table.c.slug == slug)
        .values(last_reviewed=day, version=table.c.version + 1, updated_at=now, updated_by=who)
    )
    return done.rowcount == 1


# -- which incidents used which runbook -------------------------------------------------------


def link(conn: Connection, incident_id: int, slugs: Collection[str], now: datetime) -> list[str]:
    """Record that the incident used these runbooks (those it had not already); the new ones."""
    if not slugs:
        return []
    known = set(
        conn.execute(select(links.c.slug).where(links.c.incident_id == incident_id)).scalars()
    )
    new = sorted(set(slugs) - known)
    if new:
        conn.execute(
            insert(links),
            [{"incident_id": incident_id, "slug": s, "first_matched_at": now} for s in new],
        )
    return new


def links_of(conn: Connection, incident_id: int) -> list[Link]:
    rows = conn.execute(
        select(links).where(links.c.incident_id == incident_id).order_by(links.c.slug)
    ).mappings()
    return [
        Link(r["incident_id"], r["slug"], r["first_matched_at"], r["review_asked_at"]) for r in rows
    ]


def used_by(conn: Connection, slug: str, limit: int = 50) -> list[Used]:
    """The incidents that used the runbook, the most recent first."""
    rows = conn.execute(
        select(
            incidents.c.id,
            incidents.c.title,
            incidents.c.severity,
            incidents.c.status,
            incidents.c.created_at,
            incidents.c.resolved_at,
            links.c.first_matched_at,
        )
        .join(incidents, incidents.c.id == links.c.incident_id)
        .where(links.c.slug == slug)
        .order_by(incidents.c.created_at.desc(), incidents.c.id.desc())
        .limit(limit)
    ).mappings()
    return [
        Used(
            r["id"],
            r["title"],
            Severity(r["severity"]),
            Status(r["status"]),
            r["created_at"],
            r["resolved_at"],
            r["first_matched_at"],
        )
        for r in rows
    ]


def review_candidates(conn: Connection, limit: int = 200) -> Sequence[tuple[Link, str]]:
    """(link, the incident's severity) of resolved incidents whose runbooks' review has not
    been settled yet, the oldest first."""
    rows = conn.execute(
        select(links, incidents.c.severity)
        .join(incidents, incidents.c.id == links.c.incident_id)
        .where(links.c.review_asked_at.is_(None), incidents.c.status == Status.RESOLVED.value)
        .order_by(links.c.incident_id, links.c.slug)
        .limit(limit)
    ).mappings()
    return [
        (
            Link(r["incident_id"], r["slug"], r["first_matched_at"], r["review_asked_at"]),
            r["severity"],
        )
        for r in rows
    ]


def settle_review(conn: Connection, incident_id: int, slug: str, now: datetime) -> None:
    conn.execute(
        update(links)
        .where(and_(links.c.incident_id == incident_id, links.c.slug == slug))
        .values(review_asked_at=now)
    )
