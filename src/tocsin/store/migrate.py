"""Applying and checking Alembic migrations programmatically."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from tocsin.store.database import Database

__all__ = ["current_revision", "head_revision", "is_current", "upgrade"]

_HERE = Path(__file__).parent / "migrations"


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_HERE))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if revision == "head":
        # Every start upgrades; a current database needs no migration scripts compiled.
        with db.engine.connect() as conn:
            if current_revision(conn) == head_revision():
                return
    with db.engine.begin() as conn:
        command.upgrade(_config(conn), revision)


@functools.cache
def head_revision() -> str | None:
    """The newest migration (read once: the scripts ship with the code)."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def is_current(conn: Connection) -> bool:
    return current_revision(conn) == head_revision()


def revision(db: Database, message: str) -> None:
    """Autogenerate a new migration from the models (for developers)."""
    with db.engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)
