"""Drills (incidents marked ``drill``), the scheduled drills that fired, and tabletop
sessions with their answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select, update

from tocsin.domain.incidents import Incident
from tocsin.domain.tabletop import Answer, Session, SessionState
from tocsin.store import incidents as incident_store
from tocsin.store.drill_tables import drill_runs, tabletop_answers, tabletop_sessions
from tocsin.store.tables import incidents

__all__ = [
    "DrillRun",
    "add_answer",
    "answers",
    "create_session",
    "drill_ids",
    "drills",
    "get_session",
    "has_run",
    "record_run",
    "runs",
    "sessions",
    "update_session",
]


# -- drills ----------------------------------------------------------------------------------


def drill_ids(conn: Connection, limit: int = 100) -> list[int]:
    query = (
        select(incidents.c.id)
        .where(incidents.c.drill.is_(True))
        .order_by(incidents.c.id.desc())
        .limit(limit)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def drills(conn: Connection, limit: int = 100) -> list[Incident]:
    """Drill incidents, newest first."""
    found = [incident_store.get(conn, i) for i in drill_ids(conn, limit)]
    return [i for i in found if i is not None]


@dataclass(frozen=True)
class DrillRun:
    key: str
    schedule: str
    occurrence: datetime
    incident_id: int | None
    fired_at: datetime
    skipped: str | None


def has_run(conn: Connection, key: str) -> bool:
    return conn.execute(select(drill_runs.c.key).where(drill_runs.c.key == key)).first() is not None


def record_run(
    conn: Connection,
    key: str,
    schedule: str,
    occurrence: datetime,
    now: datetime,
    *,
    incident_id: int | None = None,
    skipped: str | None = None,
) -> None:
    conn.execute(
        insert(drill_runs).values(
            key=key,
            schedule=schedule,
            occurrence=occurrence,
            incident_id=incident_id,
            fired_at=now,
            skipped=skipped,
        )
    )


def runs(conn: Connection, limit: int = 100) -> list[DrillRun]:
    query = select(drill_runs).order_by(drill_runs.c.occurrence.desc()).limit(limit)
    return [
        DrillRun(
            r["key"], r["schedule"], r["occurrence"], r["incident_id"], r["fired_at"], r["skipped"]
        )
        for r in conn.execute(query).mappings()
    ]


# -- tabletop sessions -----------------------------------------------------------------------


def _session(r: RowMapping) -> Session:
    return Session(
        id=r["id"],
        scenario=r["scenario"],
        title=r["title"],
        state=r["state"],
        step=r["step"],
        participants=tuple(r["participants"] or ()),
        notes=r["notes"],
        started_at=r["started_at"],
        started_by=r["started_by"],
        finished_at=r["finished_at"],
    )


def create_session(
    conn: Connection,
    scenario: str,
    title: str,
    participants: Sequence[str],
    actor: str,
    now: datetime,
) -> int:
    result = conn.execute(
        insert(tabletop_sessions).values(
            scenario=scenario,
            title=title,
            state=SessionState.RUNNING,
            step=0,
            participants=list(participants),
            notes="",
            started_at=now,
            started_by=actor,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def get_session(conn: Connection, session_id: int, *, lock: bool = False) -> Session | None:
    query = select(tabletop_sessions).where(tabletop_sessions.c.id == session_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return _session(row) if row is not None else None


def update_session(conn: Connection, session_id: int, **values: object) -> None:
    conn.execute(
        update(tabletop_sessions).where(tabletop_sessions.c.id == session_id).values(**values)
    )


def sessions(conn: Connection, limit: int = 100) -> list[Session]:
    query = select(tabletop_sessions).order_by(tabletop_sessions.c.id.desc()).limit(limit)
    return [_session(r) for r in conn.execute(query).mappings()]


def add_answer(
    conn: Connection,
    session_id: int,
    step: int,
    question: int,
    text: str,
    actor: str,
    now: datetime,
) -> int:
    result = conn.execute(
        insert(tabletop_answers).values(
            session_id=session_id,
            step=step,
            question=question,
            text=text,
            answered_by=actor,
            answered_at=now,
        )
    )
    assert result.inserted_primary_key is not None
    return int(result.inserted_primary_key[0])


def answers(conn: Connection, session_id: int) -> list[Answer]:
    query = (
        select(tabletop_answers)
        .where(tabletop_answers.c.session_id == session_id)
        .order_by(tabletop_answers.c.answered_at, tabletop_answers.c.id)
    )
    return [
        Answer(
            r["id"],
            r["session_id"],
            r["step"],
            r["question"],
            r["text"],
            r["answered_by"],
            r["answered_at"],
        )
        for r in conn.execute(query).mappings()
    ]
