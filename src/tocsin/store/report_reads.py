"""What the reports read: the facts of every incident, alert firing, postmortem and action
item of a period, each gathered by one query (never one per incident), for the pure
functions of ``domain/incident_metrics`` and ``domain/alert_review``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select

from tocsin.domain.alert_review import (
    CLOSING_KINDS,
    ENGINE,
    NOTE_KINDS,
    Firing,
    IncidentLink,
    IncidentOutcome,
    TimelineEntry,
    is_actioned,
)
from tocsin.domain.incident_metrics import ActionItemFact, IncidentFacts, PostmortemFact
from tocsin.store.learning_tables import action_items, postmortems
from tocsin.store.tables import alerts, incident_alerts, incident_events, incidents, messages

__all__ = [
    "Filters",
    "action_item_facts",
    "alert_facts",
    "incident_facts",
    "open_action_items_overdue",
    "open_incidents",
    "postmortem_facts",
]

#: Action items still to do.
OPEN_ITEMS = ("open", "in_progress")
#: A page that was never sent (the incident was acknowledged first) paged nobody.
CANCELLED = "cancelled"
#: Enough of a mitigation or resolution entry's text to see whether it carries a note.
_PREFIX = 400


@dataclass(frozen=True)
class Filters:
    """Only incidents of this team and/or service (None: any)."""

    team: str | None = None
    service: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        # Drills are practice: no report counts them (docs/drills.md).
        out: list[ColumnElement[bool]] = [incidents.c.drill.is_(False)]
        if self.team is not None:
            out.append(incidents.c.team == self.team)
        if self.service is not None:
            out.append(incidents.c.service == self.service)
        return out


def _opened(start: datetime, end: datetime, filters: Filters) -> list[ColumnElement[bool]]:
    return [incidents.c.created_at >= start, incidents.c.created_at < end, *filters.where()]


def incident_facts(
    conn: Connection,
    start: datetime,
    end: datetime,
    filters: Filters = Filters(),
    *,
    first_alert: bool = True,
) -> list[IncidentFacts]:
    """Every incident opened in [start, end), merged ones included (the domain leaves them
    out), with the start of its first alert when ``first_alert``: for each alert linked, the
    firing that was current when it was linked (the latest to start by then), and the
    earliest of those."""
    where = _opened(start, end, filters)
    columns: list[Any] = [
        incidents.c.id,
        incidents.c.severity,
        incidents.c.service,
        incidents.c.team,
        incidents.c.created_at,
        incidents.c.acknowledged_at,
        incidents.c.mitigated_at,
        incidents.c.resolved_at,
        incidents.c.merged_into,
    ]
    query = select(*columns).where(*where)
    if first_alert:
        current = (
            select(
                incident_alerts.c.incident_id,
                func.max(alerts.c.starts_at).label("started"),
            )
            .join(incidents, incidents.c.id == incident_alerts.c.incident_id)
            .join(
                alerts,
                and_(
                    alerts.c.fingerprint == incident_alerts.c.fingerprint,
                    alerts.c.starts_at <= incident_alerts.c.added_at,
                ),
            )
            .where(*where)
            .group_by(incident_alerts.c.incident_id, incident_alerts.c.fingerprint)
            .subquery()
        )
        first = (
            select(current.c.incident_id, func.min(current.c.started).label("first_alert_at"))
            .group_by(current.c.incident_id)
            .subquery()
        )
        query = (
            select(*columns, first.c.first_alert_at)
            .select_from(incidents.outerjoin(first, first.c.incident_id == incidents.c.id))
            .where(*where)
        )
    out = []
    for row in conn.execute(query.order_by(incidents.c.id)).all():
        out.append(
            IncidentFacts(
                id=row.id,
                severity=row.severity,
                service=row.service,
                team=row.team,
                created_at=row.created_at,
                first_alert_at=row.first_alert_at if first_alert else None,
                acknowledged_at=row.acknowledged_at,
                mitigated_at=row.mitigated_at,
                resolved_at=row.resolved_at,
                merged_into=row.merged_into,
            )
        )
    return out


def postmortem_facts(
    conn: Connection, start: datetime, end: datetime, filters: Filters = Filters()
) -> list[PostmortemFact]:
    """The postmortems of the incidents opened in [start, end)."""
    query = (
        select(postmortems.c.incident_id, postmortems.c.required, postmortems.c.state)
        .join(incidents, incidents.c.id == postmortems.c.incident_id)
        .where(*_opened(start, end, filters))
    )
    return [
        PostmortemFact(r.incident_id, bool(r.required), r.state == "published")
        for r in conn.execute(query)
    ]


def action_item_facts(
    conn: Connection, start: datetime, end: datetime, filters: Filters = Filters()
) -> list[ActionItemFact]:
    """Action items due in [start, end), of incidents matching ``filters``."""
    query = (
        select(
            action_items.c.incident_id,
            action_items.c.due_at,
            action_items.c.status,
            action_items.c.closed_at,
        )
        .join(incidents, incidents.c.id == action_items.c.incident_id)
        .where(action_items.c.due_at >= start, action_items.c.due_at < end, *filters.where())
    )
    return [
        ActionItemFact(r.incident_id, r.due_at, r.status, r.closed_at) for r in conn.execute(query)
    ]


@dataclass(frozen=True)
class AlertFacts:
    firings: list[Firing]
    links: list[IncidentLink]
    incidents: list[IncidentOutcome]


def alert_facts(
    conn: Connection,
    start: datetime,
    end: datetime,
    *,
    since: datetime,
    now: datetime,
    service_label: str = "service",
) -> AlertFacts:
    """What the alert review of [start, end) needs, in six queries: the firings that started
    in [since, end) and every firing of the alerts linked to an incident in the period; the
    incidents open at some time in the period, with their links to alerts, whether they
    paged anyone and whether they led to a human action."""
    linked = select(incident_alerts.c.fingerprint).where(
        incident_alerts.c.added_at >= start, incident_alerts.c.added_at < end
    )
    # Resolved, or still marked firing with an endsAt that has passed (housekeeping has not
    # noticed yet): it stopped then.
    stopped = func.coalesce(
        alerts.c.resolved_at,
        case((and_(alerts.c.status != "resolved", alerts.c.ends_at <= now), alerts.c.ends_at)),
    )
    firings = [
        Firing(fp, name or "", service, starts_at, resolved_at)
        for fp, name, service, starts_at, resolved_at in conn.execute(
            select(
                alerts.c.fingerprint,
                alerts.c.labels["alertname"].as_string(),
                alerts.c.labels[service_label].as_string(),
                alerts.c.starts_at,
                stopped,
            ).where(
                alerts.c.starts_at < end,
                or_(alerts.c.starts_at >= since, alerts.c.fingerprint.in_(linked)),
            )
        ).all()
    ]

    overlapping = [
        incidents.c.drill.is_(False),
        incidents.c.created_at < end,
        or_(incidents.c.resolved_at.is_(None), incidents.c.resolved_at >= start),
    ]
    links = [
        IncidentLink(incident_id, fp, added_at)
        for incident_id, fp, added_at in conn.execute(
            select(
                incident_alerts.c.incident_id,
                incident_alerts.c.fingerprint,
                incident_alerts.c.added_at,
            )
            .join(incidents, incidents.c.id == incident_alerts.c.incident_id)
            .where(*overlapping)
        ).all()
    ]
    paged = set(
        conn.execute(
            select(messages.c.incident_id)
            .join(incidents, incidents.c.id == messages.c.incident_id)
            .where(messages.c.kind == "page", messages.c.status != CANCELLED, *overlapping)
            .distinct()
        )
        .scalars()
        .all()
    )
    with_items = set(
        conn.execute(
            select(action_items.c.incident_id)
            .join(incidents, incidents.c.id == action_items.c.incident_id)
            .where(*overlapping)
            .distinct()
        )
        .scalars()
        .all()
    )
    entries: dict[int, list[TimelineEntry]] = {}
    for incident_id, kind, actor, text, via in conn.execute(
        select(
            incident_events.c.incident_id,
            incident_events.c.kind,
            incident_events.c.actor,
            func.substr(incident_events.c.text, 1, _PREFIX),
            incident_events.c.data["via"].as_string(),
        )
        .join(incidents, incidents.c.id == incident_events.c.incident_id)
        .where(
            incident_events.c.kind.in_(sorted(CLOSING_KINDS | NOTE_KINDS)),
            incident_events.c.actor != ENGINE,
            *overlapping,
        )
    ).all():
        entries.setdefault(incident_id, []).append(
            TimelineEntry(kind, actor, text or "", via or "")
        )
    outcomes = [
        IncidentOutcome(
            id=i,
            created_at=created_at,
            team=team,
            acknowledged_at=acknowledged_at,
            resolved_at=resolved_at,
            merged_into=merged_into,
            paged=i in paged,
            actioned=is_actioned(entries.get(i, ()), i in with_items),
        )
        for i, created_at, team, acknowledged_at, resolved_at, merged_into in conn.execute(
            select(
                incidents.c.id,
                incidents.c.created_at,
                incidents.c.team,
                incidents.c.acknowledged_at,
                incidents.c.resolved_at,
                incidents.c.merged_into,
            ).where(*overlapping)
        ).all()
    ]
    return AlertFacts(firings, links, outcomes)


# -- headline gauges -------------------------------------------------------------------------


def open_incidents(conn: Connection, statuses: Collection[str]) -> dict[str, int]:
    """How many incidents in ``statuses`` there are of each severity (merged ones left out)."""
    rows = conn.execute(
        select(incidents.c.severity, func.count())
        .where(
            incidents.c.status.in_(list(statuses)),
            incidents.c.merged_into.is_(None),
            incidents.c.drill.is_(False),
        )
        .group_by(incidents.c.severity)
    )
    return {str(severity): int(n) for severity, n in rows}


def open_action_items_overdue(conn: Connection, now: datetime) -> int:
    """Action items not done (nor won't do) whose due time has passed."""
    count = conn.execute(
        select(func.count()).where(
            action_items.c.status.in_(OPEN_ITEMS), action_items.c.due_at < now
        )
    ).scalar_one()
    return int(count)
