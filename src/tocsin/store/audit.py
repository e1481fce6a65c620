"""The audit log's rows: one insert, in the transaction of the change it describes (so a
change rolled back leaves no row, and one committed always has its row), and reads.

There is no update and no delete here, and the database refuses both (migration 0019).

``record`` takes who, via and from where from the current ``tocsin.origin`` unless told;
``before`` and ``after`` are made plain JSON by ``plain``, which never lets a secret
through: a field named like one (password, token, secret, salt...) says ``"changed"``, and
text has the secrets ``tocsin.redaction`` knows blanked.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select

from tocsin import origin as origins
from tocsin.redaction import redact
from tocsin.store.audit_tables import audit_log

__all__ = [
    "SECRET",
    "Entry",
    "Query",
    "changes",
    "entries",
    "last",
    "oldest_first",
    "plain",
    "record",
    "record_change",
    "snapshot",
]

#: What a secret's value is recorded as.
SECRET = "changed"
#: Field names whose values are never recorded.
_SECRET_NAME = re.compile(r"password|secret|token|salt|csrf|hash$|api_key|private", re.I)
#: Longer text is recorded as its start, its length and its digest.
MAX_TEXT = 4000


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    via: str
    address: str | None
    action: str
    object_kind: str
    object_id: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True)
class Query:
    """Which entries: each filter given narrows them."""

    actor: str | None = None
    #: ``incident`` matches ``incident.acknowledged``...; ``incident.acknowledged`` itself.
    action: str | None = None
    object_kind: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def plain(value: Any, name: str = "") -> Any:
    """``value`` as JSON (dataclasses, enums, times, sets...), secrets replaced."""
    if name and _SECRET_NAME.search(name) and value is not None:
        return SECRET
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {
            f.name: getattr(value, f.name)
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")
        }
    if isinstance(value, Mapping):
        return {str(k): plain(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return _text(str(value))


def _text(value: str) -> str:
    # The net under the net: a secret the configuration holds, or one known by its shape
    # (a Slack token, a password in a URL), is blanked wherever it turns up.
    value = redact(value)
    if len(value) <= MAX_TEXT:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    return f"{value[: MAX_TEXT - 80]}… [{len(value)} characters, sha256 {digest}]"


def snapshot(value: Any, skip: tuple[str, ...] = ("updated_at",)) -> dict[str, Any]:
    """An object (a dataclass, a mapping) as the log shows it: plain, without its
    bookkeeping fields (``skip``)."""
    found = plain(value)
    if not isinstance(found, dict):
        return {"value": found}
    return {k: v for k, v in found.items() if k not in skip}


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, as they were and as they are (plain; a field missing on one
    side is absent from it)."""
    old, new = plain(before), plain(after)
    keys = [k for k in {**old, **new} if old.get(k, _MISSING) != new.get(k, _MISSING)]
    return (
        {k: old[k] for k in keys if k in old},
        {k: new[k] for k in keys if k in new},
    )


_MISSING = object()


def record(
    conn: Connection,
    at: datetime,
    action: str,
    object_kind: str,
    object_id: object = None,
    *,
    actor: str | None = None,
    before: Any = None,
    after: Any = None,
    fallback: str | None = None,
) -> None:
    """One entry. ``actor`` None: the origin's (the request's principal or signed-in
    person), else ``fallback`` (e.g. the name a silence was made under), else Tocsin itself
    for the engine; the origin gives via and address."""
    where = origins.current()
    engine = origins.ENGINE_ACTOR if where.via == "engine" else "unknown"
    who = actor or where.actor or fallback or engine
    conn.execute(
        insert(audit_log),
        {
            "at": at,
            "actor": who[:200],
            "via": where.via[:32],
            "address": where.address[:300] if where.address else None,
            "action": action[:100],
            "object_kind": object_kind[:50],
            "object_id": None if object_id is None else str(object_id)[:200],
            "before": None if before is None else plain(before),
            "after": None if after is None else plain(after),
        },
    )


def record_change(
    conn: Connection,
    at: datetime,
    action: str,
    object_kind: str,
    object_id: object,
    before: Any,
    after: Any,
    *,
    actor: str | None = None,
    fallback: str | None = None,
) -> bool:
    """An entry with only what changed between ``before`` and ``after`` (each a mapping
    or a dataclass, seen as ``snapshot`` shows it); none, and False, when nothing did."""
    old, new = changes(
        snapshot(before) if before is not None else {},
        snapshot(after) if after is not None else {},
    )
    if not old and not new:
        return False
    record(
        conn,
        at,
        action,
        object_kind,
        object_id,
        actor=actor,
        before=old,
        after=new,
        fallback=fallback,
    )
    return True


# -- reading ---------------------------------------------------------------------------------


def _entry(row: RowMapping) -> Entry:
    return Entry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        via=row["via"],
        address=row["address"],
        action=row["action"],
        object_kind=row["object_kind"],
        object_id=row["object_id"],
        before=row["before"],
        after=row["after"],
    )


def _where(query: Query) -> list[Any]:
    c = audit_log.c
    conditions: list[Any] = []
    if query.actor:
        conditions.append(c.actor == query.actor)
    if query.action:
        prefix = query.action.rstrip(".")
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append((c.action == prefix) | c.action.like(escaped + ".%", escape="\\"))
    if query.object_kind:
        conditions.append(c.object_kind == query.object_kind)
    if query.object_id:
        conditions.append(c.object_id == query.object_id)
    if query.since is not None:
        conditions.append(c.at >= query.since)
    if query.until is not None:
        conditions.append(c.at < query.until)
    return conditions


def entries(
    conn: Connection, query: Query, *, before_id: int | None = None, limit: int = 100
) -> list[Entry]:
    """Newest first; ``before_id``: only those older than that entry (the next page)."""
    stmt = select(audit_log).where(*_where(query))
    if before_id is not None:
        stmt = stmt.where(audit_log.c.id < before_id)
    rows = conn.execute(stmt.order_by(audit_log.c.id.desc()).limit(limit)).mappings()
    return [_entry(r) for r in rows]


def oldest_first(
    conn: Connection, query: Query, *, after_id: int = 0, limit: int = 1000
) -> list[Entry]:
    """Oldest first, from after ``after_id`` (an export reads on from its last entry: the
    log only grows, so the pages never shift)."""
    stmt = select(audit_log).where(*_where(query), audit_log.c.id > after_id)
    rows = conn.execute(stmt.order_by(audit_log.c.id).limit(limit)).mappings()
    return [_entry(r) for r in rows]


def last(conn: Connection, action_prefix: str) -> Entry | None:
    """The newest entry of these actions."""
    found = entries(conn, Query(action=action_prefix), limit=1)
    return found[0] if found else None
