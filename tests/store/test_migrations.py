"""The migrations produce exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.tables import metadata


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/fresh.db"
    return request.getfixturevalue("postgres").new()


def test_migrations_match_the_models(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        migrate.upgrade(db)
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, metadata)
            assert migrate.is_current(conn)
    finally:
        db.dispose()
    assert diff == []


def test_upgrade_is_idempotent(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        migrate.upgrade(db)
        migrate.upgrade(db)
        with db.read() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
    finally:
        db.dispose()
