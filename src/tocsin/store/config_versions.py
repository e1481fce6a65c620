"""Configuration versions: every configuration a node applied, the newest in force on all
nodes (docs/cluster.md#configuration)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, insert, select, update

from tocsin.secret_box import SecretBox, is_sealed
from tocsin.store import node_locks
from tocsin.store.change_feed import announce
from tocsin.store.cluster_tables import config_versions as table

__all__ = [
    "CATCH_UP",
    "TOPIC",
    "Behind",
    "Version",
    "add",
    "by_digest",
    "hold",
    "history",
    "latest",
    "never_behind",
    "newest",
    "seal",
]

#: The change-feed topic of a new configuration version.
TOPIC = "config"

#: Whether a newer configuration version than this node runs is stored, asked in the
#: caller's transaction: work that names what this node's configuration lacks (a route, a
#: receiver, a heartbeat another node just added) waits for it instead of being dropped.
Behind = Callable[[Connection], bool]


#: How soon a node behind the newest configuration looks again at work only the newer one
#: knows (by then it has caught up, or a node that runs it has taken the work).
CATCH_UP = timedelta(seconds=1)


def never_behind(conn: Connection) -> bool:
    """One node with its own file (tests, and Tocsin before versions)."""
    return False


@dataclass(frozen=True)
class Version:
    version: int
    digest: str
    source: str
    applied_at: datetime
    applied_by: str
    reason: str
    #: The files' text (JSON; ``config.files.Bundle``); empty in listings.
    bundle: str = ""


_SUMMARY = (
    table.c.version,
    table.c.digest,
    table.c.source,
    table.c.applied_at,
    table.c.applied_by,
    table.c.reason,
)


#: The advisory lock a new version is stored under (PostgreSQL): "tocsin-c".
_LOCK = 0x746F6373696E2D63


def hold(conn: Connection) -> None:
    """Store versions one at a time (until this transaction ends): a version checked to
    follow the one in force still does when it commits."""
    node_locks.hold(conn, _LOCK)


def newest(conn: Connection) -> int | None:
    """The version in force (None: no node has applied a configuration)."""
    value: int | None = conn.execute(select(func.max(table.c.version))).scalar_one_or_none()
    return value


def latest(conn: Connection) -> Version | None:
    row = conn.execute(select(table).order_by(table.c.version.desc()).limit(1)).mappings().first()
    return Version(**row) if row is not None else None


def by_digest(conn: Connection, digest: str) -> int | None:
    """The newest version with these files (None: never applied)."""
    value: int | None = conn.execute(
        select(func.max(table.c.version)).where(table.c.digest == digest)
    ).scalar_one_or_none()
    return value


def add(
    conn: Connection,
    *,
    bundle: str,
    digest: str,
    source: str,
    now: datetime,
    node: str,
    reason: str,
) -> int:
    """Store a new version, in force from this transaction's commit; every node is told."""
    result = conn.execute(
        insert(table).values(
            digest=digest,
            source=source,
            bundle=bundle,
            applied_at=now,
            applied_by=node,
            reason=reason,
        )
    )
    assert result.inserted_primary_key is not None
    announce(conn, TOPIC)
    return int(result.inserted_primary_key[0])


def seal(conn: Connection, box: SecretBox, now: datetime, *, rotate: bool = False) -> int:
    """Encrypt the versions stored plain (a key was set since), and with ``rotate`` those
    encrypted with an older key; how many. One that no key decrypts is left as it is."""
    done = 0
    for version, bundle in conn.execute(select(table.c.version, table.c.bundle)).all():
        if not is_sealed(bundle):
            value = box.seal(bundle, now)
        elif rotate and box.key_of(bundle) not in (None, box.fingerprints[0]):
            value = box.reseal(bundle, f"configuration version {version}")
        else:
            continue
        conn.execute(update(table).where(table.c.version == version).values(bundle=value))
        done += 1
    return done


def history(conn: Connection, limit: int = 20) -> list[Version]:
    rows = conn.execute(select(*_SUMMARY).order_by(table.c.version.desc()).limit(limit))
    return [Version(**r) for r in rows.mappings()]
