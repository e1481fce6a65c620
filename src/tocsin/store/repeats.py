"""What tells whether incidents repeat one another (``domain.repeats``): each incident's
service and time, its postmortem's root-cause category, and its alerts' fingerprints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, select

from tocsin.domain.repeats import IncidentFacts
from tocsin.store.learning_tables import postmortems
from tocsin.store.tables import incident_alerts, incidents

__all__ = ["facts"]


def facts(
    conn: Connection,
    *,
    ids: Collection[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[IncidentFacts]:
    """The incidents given by ``ids`` and/or opened in [since, until); incidents merged into
    another are left out (they are the same incident, not a repeat of it)."""
    where: list[ColumnElement[bool]] = [
        incidents.c.merged_into.is_(None),
        incidents.c.drill.is_(False),  # a drill repeats nothing (docs/drills.md)
    ]
    if ids is not None:
        where.append(incidents.c.id.in_(list(ids)))
    if since is not None:
        where.append(incidents.c.created_at >= since)
    if until is not None:
        where.append(incidents.c.created_at < until)
    rows = conn.execute(
        select(
            incidents.c.id,
            incidents.c.service,
            incidents.c.created_at,
            postmortems.c.root_cause_category,
        )
        .outerjoin(postmortems, postmortems.c.incident_id == incidents.c.id)
        .where(*where)
        .order_by(incidents.c.created_at, incidents.c.id)
    ).all()
    prints: dict[int, set[str]] = defaultdict(set)
    for incident_id, fp in conn.execute(
        select(incident_alerts.c.incident_id, incident_alerts.c.fingerprint)
        .join(incidents, incidents.c.id == incident_alerts.c.incident_id)
        .where(*where)
    ):
        prints[incident_id].add(fp)
    return [
        IncidentFacts(
            r.id, r.service, r.created_at, r.root_cause_category, frozenset(prints.get(r.id, ()))
        )
        for r in rows
    ]
