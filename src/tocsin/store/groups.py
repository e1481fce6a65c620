"""Aggregation groups, their alerts, and the notification log."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, RowMapping, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tocsin.domain.grouping import SentRecord
from tocsin.store.tables import group_alerts, notification_groups, notification_log

__all__ = [
    "GroupRow",
    "add_members",
    "create_groups",
    "delete_expired_log",
    "delete_group",
    "get_groups",
    "groups_by_ident",
    "group_ident",
    "log_ident",
    "mark_flushed",
    "members_many",
    "read_log",
    "remove_members",
    "set_first_flush",
    "write_log",
]


def _sha(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def group_ident(route_id: str, labels: Mapping[str, str]) -> str:
    return _sha(route_id, orjson.dumps(dict(sorted(labels.items()))).decode())


def log_ident(group_key: str, receiver: str, integration: str) -> str:
    return _sha(group_key, receiver, integration)


@dataclass(frozen=True, slots=True)
class GroupRow:
    id: int
    ident: str
    route_id: str
    group_key: str
    receiver: str
    labels: Mapping[str, str]
    created_at: datetime
    first_flush_at: datetime
    flushed_at: datetime | None


def _group(row: RowMapping) -> GroupRow:
    return GroupRow(**{k: row[k] for k in GroupRow.__slots__})


@functools.cache
def _add_members(dialect: str) -> Any:
    insert_ = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert_(group_alerts).on_conflict_do_nothing(index_elements=["group_id", "fingerprint"])


# Built once: constructing statements costs more than running them on SQLite.
_GROUP_BY_IDENT = select(notification_groups).where(
    notification_groups.c.ident == bindparam("ident")
)
_GROUPS_BY_ID = select(notification_groups).where(
    notification_groups.c.id.in_(bindparam("gids", expanding=True))
)
_MEMBERS_OF = select(group_alerts.c.group_id, group_alerts.c.fingerprint).where(
    group_alerts.c.group_id.in_(bindparam("gids", expanding=True))
)
_LOG = select(
    notification_log.c.ident,
    notification_log.c.firing,
    notification_log.c.resolved,
    notification_log.c.sent_at,
).where(notification_log.c.ident.in_(bindparam("idents", expanding=True)))
_LOG_UPDATE = update(notification_log).where(notification_log.c.ident == bindparam("log_ident"))


_CREATE_MANY = insert(notification_groups).returning(
    *notification_groups.c, sort_by_parameter_order=True
)


def create_groups(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[GroupRow]:
    """Insert groups the caller has just looked for and not found, in one statement."""
    if not rows:
        return []
    values = [{**r, "labels": dict(r["labels"])} for r in rows]
    return [_group(r) for r in conn.execute(_CREATE_MANY, values).mappings()]


_GROUPS_BY_IDENT = select(notification_groups).where(
    notification_groups.c.ident.in_(bindparam("idents", expanding=True))
)


def groups_by_ident(conn: Connection, idents: Iterable[str]) -> dict[str, GroupRow]:
    wanted = list(idents)
    if not wanted:
        return {}
    rows = conn.execute(_GROUPS_BY_IDENT, {"idents": wanted}).mappings()
    return {r["ident"]: _group(r) for r in rows}


def get_groups(conn: Connection, group_ids: Sequence[int]) -> dict[int, GroupRow]:
    if not group_ids:
        return {}
    rows = conn.execute(_GROUPS_BY_ID, {"gids": list(group_ids)}).mappings()
    return {r["id"]: _group(r) for r in rows}


def members_many(conn: Connection, group_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each group's alert fingerprints, sorted."""
    out: dict[int, list[str]] = {g: [] for g in group_ids}
    if group_ids:
        for gid, fp in conn.execute(_MEMBERS_OF, {"gids": list(group_ids)}):
            out[gid].append(fp)
    for fps in out.values():
        fps.sort()
    return out


def set_first_flush(conn: Connection, group_id: int, at: datetime) -> None:
    conn.execute(
        update(notification_groups)
        .where(notification_groups.c.id == group_id)
        .values(first_flush_at=at)
    )


def mark_flushed(conn: Connection, group_ids: Sequence[int], now: datetime) -> None:
    if group_ids:
        conn.execute(
            update(notification_groups)
            .where(notification_groups.c.id.in_(list(group_ids)))
            .values(flushed_at=now)
        )


def delete_group(conn: Connection, group_id: int) -> None:
    conn.execute(delete(group_alerts).where(group_alerts.c.group_id == group_id))
    conn.execute(delete(notification_groups).where(notification_groups.c.id == group_id))


def add_members(conn: Connection, pairs: Iterable[tuple[int, str]], now: datetime) -> None:
    """Put alerts (group id, fingerprint) in groups; already there is fine."""
    rows = [{"group_id": g, "fingerprint": fp, "added_at": now} for g, fp in set(pairs)]
    if not rows:
        return
    conn.execute(_add_members(conn.dialect.name), rows)


def remove_members(conn: Connection, group_id: int, fingerprints: Iterable[str]) -> None:
    fps = list(fingerprints)
    if fps:
        conn.execute(
            delete(group_alerts).where(
                group_alerts.c.group_id == group_id, group_alerts.c.fingerprint.in_(fps)
            )
        )


def read_log(conn: Connection, idents: Sequence[str]) -> dict[str, SentRecord]:
    if not idents:
        return {}
    rows = conn.execute(_LOG, {"idents": list(idents)})
    return {
        r.ident: SentRecord(frozenset(r.firing["fps"]), frozenset(r.resolved["fps"]), r.sent_at)
        for r in rows
    }


def write_log(
    conn: Connection,
    *,
    ident: str,
    group_key: str,
    receiver: str,
    integration: str,
    firing: Iterable[str],
    resolved: Iterable[str],
    sent_at: datetime,
    expires_at: datetime,
) -> None:
    values = {
        "firing": {"fps": sorted(firing)},
        "resolved": {"fps": sorted(resolved)},
        "sent_at": sent_at,
        "expires_at": expires_at,
    }
    result = conn.execute(_LOG_UPDATE, {"log_ident": ident, **values})
    if result.rowcount == 0:
        conn.execute(
            insert(notification_log).values(
                ident=ident,
                group_key=group_key,
                receiver=receiver,
                integration=integration,
                **values,
            )
        )


def delete_expired_log(conn: Connection, now: datetime) -> int:
    result = conn.execute(delete(notification_log).where(notification_log.c.expires_at <= now))
    return result.rowcount or 0
