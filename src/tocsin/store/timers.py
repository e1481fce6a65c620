"""The engine's durable timers: schedule, claim under a lease, finish.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several engines share the table
without blocking one another; on SQLite (one engine) it is a compare-and-set on the lease.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tocsin.store.tables import timers

__all__ = [
    "Timer",
    "cancel",
    "claim_due",
    "finish",
    "next_due_at",
    "release",
    "release_held",
    "schedule",
]


@dataclass(frozen=True, slots=True)
class Timer:
    id: int
    kind: str
    key: str
    due_at: datetime
    attempts: int
    payload: Mapping[str, Any]
    #: In memory only: what the code that made the timer already knows (so the work need
    #: not read it back). Never stored; a claimed timer has none.
    hint: Any = field(default=None, compare=False)


# Built once: constructing statements costs more than running them on SQLite.
_BY_KEY = select(timers.c.id, timers.c.due_at, timers.c.attempts, timers.c.payload).where(
    timers.c.kind == bindparam("k"), timers.c.key == bindparam("key")
)
_CONFLICT = [timers.c.kind, timers.c.key]


def _upsert(dialect: str, replace: bool) -> Any:
    """INSERT ... ON CONFLICT (kind, key): two nodes scheduling the same new timer at once
    make one, neither fails."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(timers)
    if replace:
        moved = {
            "due_at": stmt.excluded.due_at,
            "payload": stmt.excluded.payload,
            "attempts": 0,
            "last_error": None,
            "lease_owner": None,
            "lease_until": None,
        }
        stmt = stmt.on_conflict_do_update(index_elements=_CONFLICT, set_=moved)
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=_CONFLICT)
    return stmt.returning(timers.c.id)


_UPSERTS = {(d, r): _upsert(d, r) for d in ("postgresql", "sqlite") for r in (True, False)}


def schedule(
    conn: Connection,
    kind: str,
    key: str,
    due_at: datetime,
    payload: Mapping[str, Any] | None = None,
    *,
    replace: bool = True,
) -> Timer:
    """Create the timer (kind, key), or move it to ``due_at`` when ``replace``."""
    data: dict[str, Any] = dict(payload or {})
    values = {
        "kind": kind,
        "key": key,
        "due_at": due_at,
        "payload": data,
        "attempts": 0,
        "lease_owner": None,
        "lease_until": None,
    }
    for _ in range(3):
        made = conn.execute(_UPSERTS[(conn.dialect.name, replace)], values).scalar_one_or_none()
        if made is not None:
            return Timer(int(made), kind, key, due_at, 0, data)
        existing = conn.execute(_BY_KEY, {"k": kind, "key": key}).first()  # kept (not replace)
        if existing is not None:
            return Timer(
                existing.id, kind, key, existing.due_at, existing.attempts, existing.payload
            )
        # Another node's transaction finished (deleted) it in between: make it again.
    raise RuntimeError(f"timer {kind}/{key} kept vanishing while being scheduled")


def _claimable(now: datetime) -> Any:
    return and_(
        timers.c.due_at <= now,
        or_(timers.c.lease_until.is_(None), timers.c.lease_until <= now),
    )


def claim_due(
    conn: Connection,
    *,
    now: datetime,
    owner: str,
    lease_until: datetime,
    limit: int,
    kinds: Collection[str] | None = None,
    exclude: Collection[str] = (),
) -> list[Timer]:
    """Lease up to ``limit`` due timers (of ``kinds``, or any) to ``owner``; another owner
    won't get them meanwhile."""
    if limit <= 0:
        return []
    query = select(timers).where(_claimable(now)).order_by(timers.c.due_at).limit(limit)
    if kinds is not None:
        query = query.where(timers.c.kind.in_(list(kinds)))
    if exclude:
        query = query.where(timers.c.kind.not_in(list(exclude)))
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        query = query.with_for_update(skip_locked=True)
    claimed: list[Timer] = []
    for row in conn.execute(query).mappings().all():
        stmt = update(timers).where(timers.c.id == row["id"])
        if not postgres:
            stmt = stmt.where(_claimable(now))  # compare-and-set
        result = conn.execute(stmt.values(lease_owner=owner, lease_until=lease_until))
        if result.rowcount == 1:
            claimed.append(
                Timer(
                    row["id"],
                    row["kind"],
                    row["key"],
                    row["due_at"],
                    row["attempts"],
                    row["payload"],
                )
            )
    return claimed


_CLAIMABLE_NOW = and_(
    timers.c.due_at <= bindparam("now"),
    or_(timers.c.lease_until.is_(None), timers.c.lease_until <= bindparam("now")),
)
_KEYS = select(timers).where(
    timers.c.kind == bindparam("k"),
    timers.c.key.in_(bindparam("keys", expanding=True)),
    _CLAIMABLE_NOW,
)
_LEASE_MANY = (
    update(timers)
    .where(timers.c.id.in_(bindparam("ids", expanding=True)), _CLAIMABLE_NOW)
    .values(lease_owner=bindparam("owner"), lease_until=bindparam("until"))
)


def claim_keys(
    conn: Connection,
    kind: str,
    keys: Sequence[str],
    *,
    now: datetime,
    owner: str,
    lease_until: datetime,
) -> list[Timer]:
    """Lease the due, unheld timers among (kind, key) for ``keys``. Meant for timers the
    caller's own transaction just created (so nobody else can hold them)."""
    rows = conn.execute(_KEYS, {"k": kind, "keys": list(keys), "now": now}).mappings().all()
    if not rows:
        return []
    conn.execute(
        _LEASE_MANY,
        {"ids": [r["id"] for r in rows], "now": now, "owner": owner, "until": lease_until},
    )
    return [Timer(r["id"], kind, r["key"], r["due_at"], r["attempts"], r["payload"]) for r in rows]


_INSERT_MANY = insert(timers).returning(timers.c.id, sort_by_parameter_order=True)


def create_many(
    conn: Connection,
    kind: str,
    items: Sequence[tuple[str, datetime]],
    *,
    lease_owner: str | None = None,
    lease_until: datetime | None = None,
) -> list[Timer]:
    """Insert new timers (key, due_at) of ``kind`` in one statement (the keys are new)."""
    if not items:
        return []
    rows: list[dict[str, Any]] = [
        {
            "kind": kind,
            "key": key,
            "due_at": due_at,
            "payload": {},
            "attempts": 0,
            "lease_owner": lease_owner,
            "lease_until": lease_until,
        }
        for key, due_at in items
    ]
    ids = list(conn.execute(_INSERT_MANY, rows).scalars())
    return [Timer(i, kind, key, due_at, 0, {}) for i, (key, due_at) in zip(ids, items, strict=True)]


def _owned(timer_id: int, owner: str) -> Any:
    return and_(timers.c.id == timer_id, timers.c.lease_owner == owner)


_FINISH = delete(timers).where(
    timers.c.id == bindparam("timer_id"), timers.c.lease_owner == bindparam("owner")
)
_RELEASE = update(timers).where(
    timers.c.id == bindparam("timer_id"), timers.c.lease_owner == bindparam("owner")
)


def finish(conn: Connection, timer: Timer, owner: str) -> bool:
    """Delete a timer whose work is done. False if the lease was lost meanwhile."""
    result = conn.execute(_FINISH, {"timer_id": timer.id, "owner": owner})
    return result.rowcount == 1


def release(
    conn: Connection,
    timer: Timer,
    owner: str,
    *,
    due_at: datetime,
    attempts: int,
    error: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> bool:
    """Give the timer back, due again at ``due_at`` (a repeat, or a retry after failure)."""
    values: dict[str, Any] = {
        "due_at": due_at,
        "attempts": attempts,
        "last_error": error,
        "lease_owner": None,
        "lease_until": None,
    }
    if payload is not None:
        values["payload"] = dict(payload)
        result = conn.execute(update(timers).where(_owned(timer.id, owner)).values(values))
    else:
        result = conn.execute(_RELEASE, {"timer_id": timer.id, "owner": owner, **values})
    return result.rowcount == 1


def settle_many(
    conn: Connection, owner: str, outcomes: Sequence[tuple[Timer, datetime | None]]
) -> None:
    """Finish (None) or re-arm (a due time) many timers this owner holds, in two statements."""
    done = [{"timer_id": t.id, "owner": owner} for t, due in outcomes if due is None]
    again = [
        {
            "timer_id": t.id,
            "owner": owner,
            "due_at": due,
            "attempts": 0,
            "last_error": None,
            "lease_owner": None,
            "lease_until": None,
        }
        for t, due in outcomes
        if due is not None
    ]
    if done:
        conn.execute(_FINISH, done)
    if again:
        conn.execute(_RELEASE, again)


def release_held(conn: Connection, owner: str) -> int:
    """Give back every timer ``owner`` holds, untouched (a node stopping: the others take
    them at once instead of when the leases run out)."""
    result = conn.execute(
        update(timers)
        .where(timers.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
    return result.rowcount


def next_due_at(conn: Connection) -> datetime | None:
    """When the earliest timer nobody holds is due (None: no timers)."""
    value = conn.execute(select(func.min(timers.c.due_at)).where(timers.c.lease_until.is_(None)))
    due: datetime | None = value.scalar_one_or_none()
    return due


def exists(conn: Connection, timer_id: int) -> bool:
    return conn.execute(select(timers.c.id).where(timers.c.id == timer_id)).first() is not None


def cancel(conn: Connection, kind: str, key: str) -> None:
    """Delete the timer (kind, key) if there is one."""
    conn.execute(delete(timers).where(timers.c.kind == kind, timers.c.key == key))


def lock_keys(conn: Connection, kinds: Collection[str], key: str) -> None:
    """Hold the timers (kind, key) of ``kinds`` until the transaction ends (PostgreSQL): an
    action takes its incident's timers before the incident, in the order the engine does
    (it holds a timer it claimed, then takes the incident), so the two queue, not deadlock.
    """
    if conn.dialect.name != "postgresql":
        return
    conn.execute(
        select(timers.c.id)
        .where(timers.c.kind.in_(list(kinds)), timers.c.key == key)
        .order_by(timers.c.id)
        .with_for_update()
    )
