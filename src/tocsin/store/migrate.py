"""Applying and checking Alembic migrations programmatically.

Several nodes may start at once against one PostgreSQL: each takes the same advisory lock
before it looks at the schema, so one migrates while the others wait, then find it current.
A node never runs against a schema newer than it knows (a newer release migrated it): it
refuses to start, naming both revisions (docs/cluster.md#upgrades).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from tocsin.errors import TocsinError
from tocsin.store import node_locks
from tocsin.store.database import Database

__all__ = [
    "SchemaTooNew",
    "check_known",
    "current_revision",
    "head_revision",
    "is_current",
    "upgrade",
]

_HERE = Path(__file__).parent / "migrations"
#: The advisory lock every node takes to migrate (any fixed 64-bit number: "tocsin-m").
MIGRATION_LOCK = 0x746F6373696E2D6D


class SchemaTooNew(TocsinError):
    """The database's schema was migrated by a newer Tocsin than this one."""

    def __init__(self, found: str, head: str | None) -> None:
        self.found, self.head = found, head
        super().__init__(
            f"the database schema is at revision {found}, which this Tocsin does not know "
            f"(it knows up to {head}): a newer release has migrated it. Run the newer release "
            "on this node too (docs/cluster.md#upgrades); to go back to this release, restore "
            "the backup taken before the upgrade (docs/backup.md)"
        )


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate to ``revision`` (once, however many nodes ask at the same time); SchemaTooNew
    when the database is already past what this Tocsin knows."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if revision == "head":
        # Every start upgrades; a current database needs no lock and no scripts compiled.
        with db.engine.connect() as conn:
            current = current_revision(conn)
            check_known(current)
            if current == head_revision():
                return
    with db.engine.begin() as conn:
        # Held until this transaction ends (PostgreSQL migrates in one transaction). On
        # SQLite the write transaction itself (BEGIN IMMEDIATE) keeps other writers out.
        node_locks.hold(conn, MIGRATION_LOCK)
        current = current_revision(conn)
        check_known(current)
        if revision == "head" and current == head_revision():
            return  # another node migrated while this one waited
        command.upgrade(_config(conn), revision)


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


@functools.cache
def head_revision() -> str | None:
    """The newest migration (read once: the scripts ship with the code)."""
    return _scripts().get_current_head()


@functools.cache
def known_revisions() -> frozenset[str]:
    return frozenset(s.revision for s in _scripts().walk_revisions())


def check_known(revision: str | None) -> None:
    """SchemaTooNew unless this Tocsin knows ``revision`` (None: an empty database)."""
    if revision is not None and revision not in known_revisions():
        raise SchemaTooNew(revision, head_revision())


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def is_current(conn: Connection) -> bool:
    return current_revision(conn) == head_revision()


def revision(db: Database, message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    with db.engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)
