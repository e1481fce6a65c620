"""Runbooks in the ``runbooks`` table (written in the UI or by API; updated only at the version
the writer read), and the ``incident_runbooks`` links: which incidents used which runbook."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

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
    "catalogue_stamp",
    "create",
    "get",
    "link",
    "linked_slugs",
    "links_of",
    "matchable",
    "paged_facts",
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


def catalogue_stamp(conn: Connection) -> tuple[int, int, datetime | None]:
    """Changes whenever a runbook is created or saved (its version goes up): how many there
    are, their versions' sum, the latest change. Runbooks are never deleted."""
    row = conn.execute(
        select(
            func.count(), func.coalesce(func.sum(table.c.version), 0), func.max(table.c.updated_at)
        ).select_from(table)
    ).one()
    return int(row[0]), int(row[1]), row[2]


def matchable(conn: Connection) -> list[Runbook]:
    """Every stored runbook with only what matching alerts reads (slug, alerts, matchers):
    title and body are left out (empty)."""
    rows = conn.execute(
        select(table.c.slug, table.c.alerts, table.c.matchers).order_by(table.c.slug)
    ).mappings()
    return [
        Runbook(
            slug=r["slug"],
            title="",
            body="",
            alerts=tuple(r["alerts"] or ()),
            matchers=tuple(m for text in r["matchers"] or () for m in parse_matchers(text)),
        )
        for r in rows
    ]


def paged_facts(conn: Connection, slugs: Collection[str]) -> dict[str, tuple[str, str]]:
    """(title, body) of these stored runbooks, by slug."""
    if not slugs:
        return {}
    rows = conn.execute(
        select(table.c.slug, table.c.title, table.c.body).where(table.c.slug.in_(sorted(slugs)))
    )
    return {r.slug: (r.title, r.body) for r in rows}


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
    """Record that the incident used these runbooks (those it had not already); the new ones.
    A link made at the same moment by another transaction is left as it is."""
    if not slugs:
        return []
    insert_ = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    made = conn.execute(
        insert_(links)
        .values([{"incident_id": incident_id, "slug": s, "first_matched_at": now} for s in slugs])
        .on_conflict_do_nothing(index_elements=["incident_id", "slug"])
        .returning(links.c.slug)
    ).scalars()
    return sorted(made)


def linked_slugs(conn: Connection, incident_id: int) -> list[str]:
    """The slugs of the runbooks the incident used, sorted."""
    return list(
        conn.execute(
            select(links.c.slug).where(links.c.incident_id == incident_id).order_by(links.c.slug)
        ).scalars()
    )


def links_of(conn: Connection, incident_id: int) -> list[Link]:
    rows = conn.execute(
        select(links).where(links.c.incident_id == incident_id).order_by(links.c.slug)
    ).mappings()
    return [
        Link(r["incident_id"], r["slug"], r["first_matched_at"], r["review_asked_at"]) for r in rows
    ]


def used_by(conn: Connection, slug: str, limit: int = 50) -> list[Used]:
    """The incidents that used the runbook, the most recent first. Drills are left out; an
    incident merged into another is listed as that one (once, however many were merged)."""
    source = incidents.alias("source")
    shown_id = func.coalesce(source.c.merged_into, source.c.id)
    used = (
        select(
            shown_id.label("incident_id"),
            func.min(links.c.first_matched_at).label("first_matched_at"),
        )
        .join(source, source.c.id == links.c.incident_id)
        .where(links.c.slug == slug, source.c.drill.is_(False))
        .group_by(shown_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            incidents.c.id,
            incidents.c.title,
            incidents.c.severity,
            incidents.c.status,
            incidents.c.created_at,
            incidents.c.resolved_at,
            used.c.first_matched_at,
        )
        .join(incidents, incidents.c.id == used.c.incident_id)
        .where(incidents.c.merged_into.is_(None), incidents.c.drill.is_(False))
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
