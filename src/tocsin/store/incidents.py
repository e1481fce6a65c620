"""Incidents, their timelines and their alerts."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tocsin.domain.incidents import Incident, Severity, Status, Urgency
from tocsin.store.tables import (
    incident_alerts,
    incident_events,
    incidents,
    round_robin,
    timers,
)

__all__ = [
    "Event",
    "IncidentAlert",
    "add_event",
    "alerts_of",
    "by_reply_code",
    "count_by_severity",
    "create",
    "events",
    "last_event_id",
    "get",
    "listing",
    "open_by_group",
    "recent_events",
    "rr_counter",
    "services",
    "set_alerts",
    "set_rr_counter",
    "timer_due",
    "update_incident",
]

OPEN = (Status.TRIGGERED.value, Status.ACKNOWLEDGED.value, Status.MITIGATED.value)


@dataclass(frozen=True)
class Event:
    id: int
    incident_id: int
    at: datetime
    kind: str
    actor: str
    text: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class IncidentAlert:
    fingerprint: str
    alertname: str
    firing: bool
    added_at: datetime
    resolved_at: datetime | None


def _incident(row: RowMapping) -> Incident:
    return Incident(
        id=row["id"],
        title=row["title"],
        summary=row["summary"],
        status=Status(row["status"]),
        severity=Severity(row["severity"]),
        urgency=Urgency(row["urgency"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        service=row["service"],
        team=row["team"],
        policy=row["policy"],
        acknowledged_at=row["acknowledged_at"],
        acknowledged_by=row["acknowledged_by"],
        mitigated_at=row["mitigated_at"],
        resolved_at=row["resolved_at"],
        resolved_by=row["resolved_by"],
        roles=row["roles"] or {},
        group_ident=row["group_ident"],
        previous_id=row["previous_id"],
        merged_into=row["merged_into"],
        level=row["level"],
        loop=row["loop"],
        epoch=row["epoch"],
        snoozed_until=row["snoozed_until"],
        assignees=tuple(row["assignees"] or ()),
        reply_code=row["reply_code"],
        next_update_at=row["next_update_at"],
        drill=bool(row["drill"]),
    )


def create(conn: Connection, values: Mapping[str, Any]) -> int:
    row = {
        "summary": "",
        "roles": {},
        "assignees": [],
        "level": 0,
        "loop": 0,
        "epoch": 0,
        **values,
    }
    result = conn.execute(insert(incidents), row)
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def get(conn: Connection, incident_id: int, *, lock: bool = False) -> Incident | None:
    """The incident; ``lock`` holds its row until the transaction ends (PostgreSQL), so an
    action and the engine never decide on the same incident at once."""
    query = select(incidents).where(incidents.c.id == incident_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return _incident(row) if row else None


def policy_snapshot(conn: Connection, incident_id: int) -> dict[str, Any] | None:
    """The escalation policy as it was when the incident opened (or was reassigned)."""
    value = conn.execute(
        select(incidents.c.policy_snapshot).where(incidents.c.id == incident_id)
    ).scalar_one_or_none()
    return value if isinstance(value, dict) else None


def update_incident(conn: Connection, incident_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(update(incidents).where(incidents.c.id == incident_id).values(**values))


def latest_by_group(conn: Connection, idents: Collection[str]) -> dict[str, Incident]:
    """The latest incident of each alert group (by group ident) that had one, whatever its
    status; a group whose latest incident was merged into another has that one."""
    if not idents:
        return {}
    latest = (
        select(incidents.c.group_ident, func.max(incidents.c.id).label("id"))
        .where(incidents.c.group_ident.in_(list(idents)))
        .group_by(incidents.c.group_ident)
        .subquery()
    )
    rows = conn.execute(select(incidents).join(latest, incidents.c.id == latest.c.id)).mappings()
    found: dict[str, Incident] = {}
    for row in rows:
        incident: Incident | None = _incident(row)
        hops = 0
        while incident is not None and incident.merged_into is not None and hops < 10:
            incident = get(conn, incident.merged_into)
            hops += 1
        if incident is not None:
            found[row["group_ident"]] = incident
    return found


def open_by_group(conn: Connection, idents: Collection[str]) -> dict[str, Incident]:
    """The open incident of each alert group that has one (following merges)."""
    return {k: i for k, i in latest_by_group(conn, idents).items() if i.is_open}


def last_of_group(conn: Connection, ident: str) -> int | None:
    """The most recent incident of an alert group (to link a new one to)."""
    value = conn.execute(
        select(func.max(incidents.c.id)).where(incidents.c.group_ident == ident)
    ).scalar_one_or_none()
    return int(value) if value is not None else None


def listing(
    conn: Connection,
    *,
    statuses: Collection[str] | None = None,
    severities: Collection[str] | None = None,
    service: str | None = None,
    team: str | None = None,
    since: datetime | None = None,
    search: str | None = None,
    limit: int = 100,
    until: datetime | None = None,
    before_id: int | None = None,
) -> list[Incident]:
    """Incidents matching every filter given, newest first. ``since``/``until``: opened in
    [since, until); ``before_id``: only older than that incident (the next page)."""
    query = select(incidents)
    if statuses:
        query = query.where(incidents.c.status.in_(list(statuses)))
    if severities:
        query = query.where(incidents.c.severity.in_(list(severities)))
    if service:
        query = query.where(incidents.c.service == service)
    if team:
        query = query.where(incidents.c.team == team)
    if since is not None:
        query = query.where(incidents.c.created_at >= since)
    if until is not None:
        query = query.where(incidents.c.created_at < until)
    if before_id is not None:
        query = query.where(incidents.c.id < before_id)
    if search:
        # The words as typed: % and _ are letters here, not LIKE's wildcards.
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        query = query.where(
            or_(
                func.lower(incidents.c.title).like(like, escape="\\"),
                func.lower(incidents.c.summary).like(like, escape="\\"),
            )
        )
    query = query.order_by(incidents.c.id.desc()).limit(limit)
    return [_incident(r) for r in conn.execute(query).mappings()]


def count_by_severity(conn: Connection, statuses: Collection[str]) -> dict[str, int]:
    """How many incidents in ``statuses`` there are of each severity."""
    rows = conn.execute(
        select(incidents.c.severity, func.count())
        .where(incidents.c.status.in_(list(statuses)))
        .group_by(incidents.c.severity)
    )
    return {str(severity): int(n) for severity, n in rows}


def services(conn: Connection, limit: int = 500) -> list[str]:
    """The services incidents have named, in order (for a filter's suggestions)."""
    rows = conn.execute(
        select(incidents.c.service)
        .where(incidents.c.service.is_not(None))
        .distinct()
        .order_by(incidents.c.service)
        .limit(limit)
    )
    return [r[0] for r in rows if r[0]]


def timer_due(conn: Connection, incident_id: int, kind: str) -> datetime | None:
    """When the engine's ``kind`` timer for the incident is due (None: there is none)."""
    due: datetime | None = conn.execute(
        select(timers.c.due_at).where(timers.c.kind == kind, timers.c.key == str(incident_id))
    ).scalar_one_or_none()
    return due


def by_reply_code(conn: Connection, code: str) -> Incident | None:
    """The open incident with this SMS reply code."""
    row = (
        conn.execute(
            select(incidents)
            .where(incidents.c.reply_code == code.upper(), incidents.c.status.in_(OPEN))
            .order_by(incidents.c.id.desc())
        )
        .mappings()
        .first()
    )
    return _incident(row) if row else None


def reply_code_in_use(conn: Connection, code: str) -> bool:
    """Whether an open incident has this SMS reply code (one indexed lookup)."""
    found = conn.execute(
        select(incidents.c.id)
        .where(incidents.c.reply_code == code, incidents.c.status.in_(OPEN))
        .limit(1)
    ).first()
    return found is not None


# -- the timeline ----------------------------------------------------------------------------


def add_event(
    conn: Connection,
    incident_id: int,
    at: datetime,
    kind: str,
    actor: str,
    text: str,
    data: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(incident_events),
        {
            "incident_id": incident_id,
            "at": at,
            "kind": kind,
            "actor": actor,
            "text": text,
            "data": dict(data or {}),
        },
    )


def events(
    conn: Connection, incident_id: int, *, after: int = 0, kinds: Collection[str] = ()
) -> list[Event]:
    query = select(incident_events).where(
        incident_events.c.incident_id == incident_id, incident_events.c.id > after
    )
    if kinds:
        query = query.where(incident_events.c.kind.in_(list(kinds)))
    rows = conn.execute(query.order_by(incident_events.c.id)).mappings()
    return [_event(r) for r in rows]


def last_event_id(conn: Connection, incident_id: int, kinds: Collection[str] = ()) -> int:
    """The newest timeline entry's id (of these kinds); 0 when there is none."""
    query = select(func.max(incident_events.c.id)).where(
        incident_events.c.incident_id == incident_id
    )
    if kinds:
        query = query.where(incident_events.c.kind.in_(list(kinds)))
    return int(conn.execute(query).scalar_one() or 0)


def recent_events(conn: Connection, limit: int = 20) -> list[Event]:
    """The newest timeline entries of all incidents, newest first."""
    rows = conn.execute(
        select(incident_events).order_by(incident_events.c.id.desc()).limit(limit)
    ).mappings()
    return [_event(r) for r in rows]


def _event(r: RowMapping) -> Event:
    return Event(r["id"], r["incident_id"], r["at"], r["kind"], r["actor"], r["text"], r["data"])


# -- alerts ----------------------------------------------------------------------------------


def alerts_of(conn: Connection, incident_ids: Iterable[int]) -> dict[int, list[IncidentAlert]]:
    ids = list(incident_ids)
    out: dict[int, list[IncidentAlert]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = conn.execute(
        select(incident_alerts)
        .where(incident_alerts.c.incident_id.in_(ids))
        .order_by(incident_alerts.c.added_at, incident_alerts.c.fingerprint)
    ).mappings()
    for r in rows:
        out[r["incident_id"]].append(
            IncidentAlert(
                r["fingerprint"], r["alertname"], r["firing"], r["added_at"], r["resolved_at"]
            )
        )
    return out


def set_alerts(
    conn: Connection,
    incident_id: int,
    added: Sequence[tuple[str, str]],
    changed: Sequence[tuple[str, bool, datetime | None]],
    now: datetime,
) -> None:
    """Link new alerts (fingerprint, alertname) as firing; set others' (fingerprint,
    firing, resolved_at)."""
    if added:
        conn.execute(
            insert(incident_alerts),
            [
                {
                    "incident_id": incident_id,
                    "fingerprint": fp,
                    "alertname": name,
                    "firing": True,
                    "added_at": now,
                    "resolved_at": None,
                }
                for fp, name in added
            ],
        )
    for fp, firing, resolved_at in changed:
        conn.execute(
            update(incident_alerts)
            .where(
                incident_alerts.c.incident_id == incident_id,
                incident_alerts.c.fingerprint == fp,
            )
            .values(firing=firing, resolved_at=resolved_at)
        )


def move_alerts(conn: Connection, source: int, target: int) -> None:
    """Move ``source``'s alerts to ``target`` (a merge); ones it already has stay its own."""
    have = {a.fingerprint for a in alerts_of(conn, [target])[target]}
    for alert in alerts_of(conn, [source])[source]:
        if alert.fingerprint in have:
            continue
        conn.execute(
            update(incident_alerts)
            .where(
                incident_alerts.c.incident_id == source,
                incident_alerts.c.fingerprint == alert.fingerprint,
            )
            .values(incident_id=target)
        )


# -- round robin -----------------------------------------------------------------------------


def rr_counter(conn: Connection, policy: str, level: int) -> int:
    """Where the level's turn is; its row stays locked until the transaction ends
    (PostgreSQL), so two engines firing the level at once take turns, not the same one."""
    insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    conn.execute(
        insert_(round_robin)
        .values(policy=policy, level=level, counter=0)
        .on_conflict_do_nothing(index_elements=["policy", "level"])
    )
    query = select(round_robin.c.counter).where(
        round_robin.c.policy == policy, round_robin.c.level == level
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return int(conn.execute(query).scalar_one())


def set_rr_counter(conn: Connection, policy: str, level: int, counter: int) -> None:
    conn.execute(
        update(round_robin)
        .where(round_robin.c.policy == policy, round_robin.c.level == level)
        .values(counter=counter)
    )
