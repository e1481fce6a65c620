"""Alert rows and the append-only alert event log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import (
    Connection,
    RowMapping,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
)

from tocsin.domain.alerts import Alert, AlertStatus, Resolution
from tocsin.store.bulk import Bulk
from tocsin.store.tables import alert_events, alerts, incident_alerts

__all__ = [
    "EventRow",
    "delete_events_before",
    "delete_resolved_before",
    "events_of",
    "find_by_uid",
    "incident_ids_of",
    "insert_alerts",
    "insert_events",
    "list_heads",
    "load_heads",
    "resolved_heads",
    "open_expired",
    "state_changes",
    "reserve_ids",
    "started_between",
    "touch_alerts",
    "update_alerts",
]

_CHUNK = 500
_FIELDS = [c.name for c in alerts.columns if c.name not in ("id", "head_key")]
_INSERT = Bulk(alerts, [*_FIELDS, "head_key", "id"])
_UPDATE = Bulk(alerts, [*_FIELDS, "head_key"], where="id")
_TOUCHED = ["ends_at", "ends_at_is_timeout", "last_received_at", "receive_count"]
_TOUCH = Bulk(alerts, _TOUCHED, where="id")
_TOUCH_FIELDS = attrgetter(*_TOUCHED, "id")
_EVENT_COLUMNS = [c.name for c in alert_events.columns if c.name != "id"]
_INSERT_EVENTS = Bulk(alert_events, _EVENT_COLUMNS)
_ALERT_FIELDS = attrgetter(*_FIELDS)
_STATUS, _RESOLUTION = _FIELDS.index("status"), _FIELDS.index("resolution")
_EVENT_FIELDS = attrgetter(*_EVENT_COLUMNS)


def _to_alert(row: RowMapping) -> Alert:
    return Alert(
        id=row["id"],
        uid=row["uid"],
        fingerprint=row["fingerprint"],
        integration_id=row["integration_id"],
        status=AlertStatus(row["status"]),
        labels=row["labels"],
        annotations=row["annotations"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        ends_at_is_timeout=row["ends_at_is_timeout"],
        generator_url=row["generator_url"],
        dedup_key=row["dedup_key"],
        details=row["details"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_received_at=row["last_received_at"],
        receive_count=row["receive_count"],
        acknowledged_at=row["acknowledged_at"],
        resolved_at=row["resolved_at"],
        resolution=Resolution(row["resolution"]) if row["resolution"] else None,
    )


def _row(alert: Alert, head: bool, alert_id: int | None) -> list[Any]:
    """The alert as a row of ``_FIELDS``, then head_key and id."""
    row = list(_ALERT_FIELDS(alert))
    row[_STATUS] = alert.status.value
    row[_RESOLUTION] = alert.resolution.value if alert.resolution else None
    row.append(alert.fingerprint if head else None)
    row.append(alert_id)
    return row


_HEADS = select(alerts).where(alerts.c.head_key.in_(bindparam("keys", expanding=True)))
_HEADS_LOCKED = _HEADS.order_by(alerts.c.head_key).with_for_update()


def load_heads(
    conn: Connection, fingerprints: Iterable[str], *, lock: bool = False
) -> dict[str, Alert]:
    """The latest alert of each fingerprint that has one.

    With ``lock`` (the intake, which writes them) they are held on PostgreSQL until the
    transaction ends (FOR UPDATE, in one order: no deadlock), so another node's intake of
    the same alerts (an Alertmanager HA pair sends to each) waits, then sees what this one
    stored. Two nodes storing the same *new* alert at once collide on its head key instead:
    the loser's transaction is run again (``GroupCommit``) and finds the winner's."""
    wanted = sorted(set(fingerprints))
    postgres = conn.dialect.name == "postgresql"
    query = _HEADS_LOCKED if lock and postgres else _HEADS
    found: dict[str, Alert] = {}
    for i in range(0, len(wanted), _CHUNK):
        for row in conn.execute(query, {"keys": wanted[i : i + _CHUNK]}).mappings():
            found[row["fingerprint"]] = _to_alert(row)
    return found


_MAX_ID = select(func.coalesce(func.max(alerts.c.id), 0))


def reserve_ids(conn: Connection, count: int) -> list[int]:
    """``count`` fresh alert ids, so that inserts need no RETURNING (one round trip per row
    on SQLite). On SQLite the caller's write transaction is the only writer (BEGIN
    IMMEDIATE); on PostgreSQL the ids come from the column's sequence."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('alerts', 'id')) FROM generate_series(1, %s)",
            (count,),
        )
        return [int(r[0]) for r in rows]
    top = conn.execute(_MAX_ID).scalar_one()
    return list(range(top + 1, top + 1 + count))


def insert_alerts(conn: Connection, new: Sequence[tuple[Alert, bool]]) -> list[int]:
    """Insert alerts (each with whether it is its fingerprint's head); return their ids."""
    ids = reserve_ids(conn, len(new))
    _INSERT.execute(conn, (_row(a, head, i) for (a, head), i in zip(new, ids, strict=True)))
    return ids


def update_alerts(conn: Connection, changed: Sequence[tuple[Alert, bool]]) -> None:
    """Write back stored alerts (each with whether it is still its fingerprint's head)."""
    # Clear superseded heads first so a new head never collides with the unique index.
    _UPDATE.execute(conn, [_row(a, head, a.id) for a, head in changed if not head])
    _UPDATE.execute(conn, [_row(a, head, a.id) for a, head in changed if head])


def touch_alerts(conn: Connection, alerts_: Sequence[Alert]) -> None:
    """Write back only what a re-send changes: endsAt and the receive bookkeeping."""
    _TOUCH.execute(conn, (list(_TOUCH_FIELDS(a)) for a in alerts_))


@dataclass(frozen=True, slots=True)
class EventRow:
    alert_id: int | None
    fingerprint: str
    integration_id: int | None
    received_at: datetime
    action: str
    outcome: str
    payload: dict[str, Any]


def insert_events(conn: Connection, events: Sequence[EventRow]) -> None:
    _INSERT_EVENTS.execute(conn, (list(_EVENT_FIELDS(e)) for e in events))


def list_heads(
    conn: Connection,
    *,
    statuses: Iterable[AlertStatus] | None = None,
    open_at: datetime | None = None,
    limit: int | None = None,
) -> list[Alert]:
    """Each fingerprint's latest alert, newest first.

    ``open_at``: only alerts still open at that instant (not resolved, endsAt not passed).
    """
    query = select(alerts).where(alerts.c.head_key.is_not(None))
    if statuses is not None:
        query = query.where(alerts.c.status.in_([s.value for s in statuses]))
    if open_at is not None:
        query = query.where(
            alerts.c.status != AlertStatus.RESOLVED.value,
            or_(alerts.c.ends_at.is_(None), alerts.c.ends_at > open_at),
        )
    query = query.order_by(alerts.c.starts_at.desc(), alerts.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [_to_alert(row) for row in conn.execute(query).mappings()]


def find_by_uid(conn: Connection, uid: str) -> Alert | None:
    row = conn.execute(select(alerts).where(alerts.c.uid == uid)).mappings().first()
    return _to_alert(row) if row else None


def open_expired(conn: Connection, now: datetime, limit: int) -> list[Alert]:
    """Open alerts whose endsAt has passed (they resolve by timeout)."""
    query = (
        select(alerts)
        .where(alerts.c.status != AlertStatus.RESOLVED.value, alerts.c.ends_at <= now)
        .order_by(alerts.c.ends_at)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        # An alert another node's intake holds now is refreshed or resolved by it; its
        # expiry, if still due, waits for the next pass.
        query = query.with_for_update(skip_locked=True)
    return [_to_alert(row) for row in conn.execute(query).mappings()]


def delete_events_before(conn: Connection, outcome: str, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` events with ``outcome`` received before ``cutoff``."""
    ids = list(
        conn.execute(
            select(alert_events.c.id)
            .where(alert_events.c.outcome == outcome, alert_events.c.received_at < cutoff)
            .limit(limit)
        ).scalars()
    )
    if ids:
        conn.execute(delete(alert_events).where(alert_events.c.id.in_(ids)))
    return len(ids)


def delete_resolved_before(conn: Connection, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` alerts resolved before ``cutoff``, with their events."""
    ids = list(
        conn.execute(
            select(alerts.c.id)
            .where(alerts.c.status == AlertStatus.RESOLVED.value, alerts.c.resolved_at < cutoff)
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return 0
    conn.execute(delete(alert_events).where(alert_events.c.alert_id.in_(ids)))
    conn.execute(delete(alerts).where(alerts.c.id.in_(ids)))
    return len(ids)


#: Outcomes that change whether an alert fires (what flap detection counts).
STATE_CHANGES = ("created", "reopened", "resolved")


def state_changes(
    conn: Connection, fingerprints: Iterable[str], since: datetime
) -> dict[str, list[datetime]]:
    """When each alert started or stopped firing, after ``since``."""
    fps = list(fingerprints)
    out: dict[str, list[datetime]] = {fp: [] for fp in fps}
    if not fps:
        return out
    rows = conn.execute(
        select(alert_events.c.fingerprint, alert_events.c.received_at).where(
            alert_events.c.fingerprint.in_(fps),
            alert_events.c.outcome.in_(STATE_CHANGES),
            alert_events.c.received_at > since,
        )
    )
    for fp, at in rows:
        out[fp].append(at)
    return out


def started_between(
    conn: Connection, start: datetime, end: datetime, limit: int = 10000
) -> list[Alert]:
    """Alerts (every firing, not only heads) that started in [start, end), oldest first."""
    query = (
        select(alerts)
        .where(alerts.c.starts_at >= start, alerts.c.starts_at < end)
        .order_by(alerts.c.starts_at, alerts.c.id)
        .limit(limit)
    )
    return [_to_alert(row) for row in conn.execute(query).mappings()]


def resolved_heads(conn: Connection, since: datetime, now: datetime) -> list[Alert]:
    """Each fingerprint's latest alert if it stopped firing in [since, now]: resolved then,
    or still marked open with an endsAt that has passed; most recently resolved first."""
    query = (
        select(alerts)
        .where(
            alerts.c.head_key.is_not(None),
            or_(
                and_(
                    alerts.c.status == AlertStatus.RESOLVED.value,
                    alerts.c.resolved_at >= since,
                ),
                and_(
                    alerts.c.status != AlertStatus.RESOLVED.value,
                    alerts.c.ends_at >= since,
                    alerts.c.ends_at <= now,
                ),
            ),
        )
        .order_by(alerts.c.starts_at.desc(), alerts.c.id.desc())
    )
    return [_to_alert(row) for row in conn.execute(query).mappings()]


def events_of(
    conn: Connection,
    fingerprint: str,
    *,
    skip_outcomes: Iterable[str] = (),
    limit: int = 100,
) -> list[EventRow]:
    """What sources said about the alerts of ``fingerprint`` (every firing of it), newest
    first; events that matched no stored alert are not kept per alert, so not here."""
    ids = select(alerts.c.id).where(alerts.c.fingerprint == fingerprint)
    query = select(alert_events).where(alert_events.c.alert_id.in_(ids))
    skipped = list(skip_outcomes)
    if skipped:
        query = query.where(alert_events.c.outcome.not_in(skipped))
    query = query.order_by(alert_events.c.received_at.desc(), alert_events.c.id.desc()).limit(limit)
    return [
        EventRow(
            r["alert_id"],
            r["fingerprint"],
            r["integration_id"],
            r["received_at"],
            r["action"],
            r["outcome"],
            r["payload"],
        )
        for r in conn.execute(query).mappings()
    ]


def incident_ids_of(conn: Connection, fingerprint: str) -> list[int]:
    """The incidents an alert of ``fingerprint`` belongs or belonged to, latest first."""
    query = (
        select(incident_alerts.c.incident_id)
        .where(incident_alerts.c.fingerprint == fingerprint)
        .order_by(incident_alerts.c.added_at.desc(), incident_alerts.c.incident_id.desc())
    )
    return list(conn.execute(query).scalars())
