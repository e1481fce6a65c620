"""Runs of remediation actions (``remediation_runs``)."""

from __future__ import annotations

import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from tocsin.domain.remediation import COUNTED, RenderedRequest, RunState
from tocsin.store import node_locks
from tocsin.store.remediation_tables import remediation_runs

__all__ = [
    "Run",
    "counted_since",
    "create",
    "get",
    "lock_action",
    "move",
    "runs_of",
    "triggered",
]


@dataclass(frozen=True)
class Run:
    id: int
    incident_id: int
    action: str
    requested_by: str
    state: RunState
    dry_run: bool
    request: RenderedRequest
    labels: Mapping[str, str]
    created_at: datetime
    approver: str | None = None
    #: An administrator approved the run they asked for themselves.
    self_approved: bool = False
    reason: str | None = None
    result: int | None = None
    output: str | None = None
    approved_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


def _run(row: RowMapping) -> Run:
    return Run(
        id=row["id"],
        incident_id=row["incident_id"],
        action=row["action"],
        requested_by=row["requested_by"],
        state=RunState(row["state"]),
        dry_run=row["dry_run"],
        request=RenderedRequest.from_json(row["request"] or {}),
        labels=dict(row["labels"] or {}),
        created_at=row["created_at"],
        approver=row["approver"],
        self_approved=row["self_approved"],
        reason=row["reason"],
        result=row["result"],
        output=row["output"],
        approved_at=row["approved_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def lock_action(conn: Connection, action: str) -> None:
    """Hold the action's lock until the transaction ends, so two requests counting its runs
    against a rate limit cannot both pass (PostgreSQL; SQLite has one writer at a time)."""
    node_locks.hold(conn, zlib.crc32(f"remediation:{action}".encode()))


def counted_since(conn: Connection, action: str, since: datetime) -> list[datetime]:
    """When the runs of ``action`` that count against its rate limit were asked for."""
    rows = conn.execute(
        select(remediation_runs.c.created_at).where(
            remediation_runs.c.action == action,
            remediation_runs.c.created_at > since,
            remediation_runs.c.state.in_([s.value for s in COUNTED]),
        )
    )
    return [r[0] for r in rows]


def triggered(conn: Connection, incident_id: int, action: str, requested_by: str) -> bool:
    """Whether ``requested_by`` (a trigger) already asked for ``action`` on the incident.
    Hold ``lock_action`` first, so that two nodes cannot both find nothing and both ask."""
    found = conn.execute(
        select(func.count())
        .select_from(remediation_runs)
        .where(
            remediation_runs.c.incident_id == incident_id,
            remediation_runs.c.action == action,
            remediation_runs.c.requested_by == requested_by,
        )
    ).scalar_one()
    return bool(found)


def create(
    conn: Connection,
    *,
    incident_id: int,
    action: str,
    requested_by: str,
    state: RunState,
    dry_run: bool,
    request: RenderedRequest,
    labels: Mapping[str, str],
    now: datetime,
    reason: str | None = None,
) -> Run:
    finished = state.finished
    values: dict[str, Any] = {
        "incident_id": incident_id,
        "action": action,
        "requested_by": requested_by,
        "state": state.value,
        "dry_run": dry_run,
        "self_approved": False,
        "request": request.as_json(),
        "labels": dict(labels),
        "reason": reason,
        "created_at": now,
        "finished_at": now if finished else None,
    }
    result = conn.execute(insert(remediation_runs), values)
    assert result.inserted_primary_key is not None
    run = get(conn, int(result.inserted_primary_key[0]))
    assert run is not None
    return run


def get(conn: Connection, run_id: int) -> Run | None:
    row = conn.execute(select(remediation_runs).where(remediation_runs.c.id == run_id))
    found = row.mappings().first()
    return _run(found) if found is not None else None


def runs_of(
    conn: Connection,
    incident_id: int | None = None,
    *,
    states: Collection[RunState] = (),
    limit: int = 100,
) -> list[Run]:
    """Newest first."""
    query = select(remediation_runs)
    if incident_id is not None:
        query = query.where(remediation_runs.c.incident_id == incident_id)
    if states:
        query = query.where(remediation_runs.c.state.in_([s.value for s in states]))
    rows = conn.execute(query.order_by(remediation_runs.c.id.desc()).limit(limit))
    return [_run(r) for r in rows.mappings()]


def move(
    conn: Connection,
    run_id: int,
    before: Collection[RunState],
    after: RunState,
    **values: Any,
) -> bool:
    """Move the run from one of ``before`` to ``after`` (with ``values``); False when it was
    not in any of them (someone else moved it first)."""
    result = conn.execute(
        update(remediation_runs)
        .where(
            remediation_runs.c.id == run_id,
            remediation_runs.c.state.in_([s.value for s in before]),
        )
        .values(state=after.value, **values)
    )
    return result.rowcount == 1
