"""Migration 0009 on a page in use: AUTOINCREMENT on SQLite without losing a row (SQLite's
foreign keys delete or unlink children when a parent table is rebuilt), the page's row made,
addresses in lower case, and what the active incidents hold."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from tocsin.store import migrate
from tocsin.store.database import Database

T = "'2026-03-01 12:00:00'"
ROWS = [
    "INSERT INTO status_groups (id, name, description, position, created_at, updated_at) "
    f"VALUES (1, 'Core', NULL, 1, {T}, {T})",
    "INSERT INTO status_components (id, group_id, name, description, position, status, "
    "only_show_if_degraded, showcase, created_at, updated_at) VALUES "
    f"(1, 1, 'API', NULL, 1, 'major_outage', false, true, {T}, {T}), "
    f"(3, NULL, 'DB', NULL, 2, 'under_maintenance', false, true, {T}, {T})",
    "INSERT INTO status_component_history (component_id, status, since) "
    f"VALUES (1, 'major_outage', {T})",
    "INSERT INTO public_incidents (id, kind, incident_id, name, status, impact, created_at, "
    "updated_at, started_at, auto_start, auto_complete, created_by) VALUES "
    f"(5, 'incident', NULL, 'Errors', 'investigating', 'critical', {T}, {T}, {T}, "
    "false, false, 'a'), "
    f"(6, 'maintenance', NULL, 'Work', 'in_progress', 'maintenance', {T}, {T}, {T}, "
    "true, true, 'a')",
    "INSERT INTO public_incident_updates (id, public_id, status, body, created_at, created_by, "
    f"affected_components) VALUES (7, 5, 'investigating', 'Looking.', {T}, 'a', '[]')",
    "INSERT INTO public_incident_components (public_id, component_id) "
    "VALUES (5, 1), (5, 2), (6, 3)",
    "INSERT INTO status_subscribers (id, mode, address, ident, created_at, confirmed_at) VALUES "
    f"(1, 'email', 'Ann@Example.ORG', 'a1', {T}, NULL), "
    f"(2, 'email', 'ann@example.org', 'a2', {T}, {T}), "
    f"(3, 'email', 'Bob@Example.org', 'b1', {T}, NULL)",
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty(request: pytest.FixtureRequest, tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    url = (
        f"sqlite:///{tmp_path}/old.db"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres").new()
    )
    db = Database(url)
    yield db
    db.dispose()


def _all(db: Database, query: str) -> list[tuple]:
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(text(query))]


def test_upgrading_a_page_in_use_keeps_every_row(empty: Database):
    migrate.upgrade(empty, "0008")
    with empty.write() as conn:
        for row in ROWS:
            conn.execute(text(row))
    migrate.upgrade(empty)
    assert _all(empty, "SELECT id, group_id FROM status_components ORDER BY id") == [
        (1, 1),
        (3, None),
    ]
    assert _all(empty, "SELECT id, public_id, body FROM public_incident_updates") == [
        (7, 5, "Looking.")
    ]
    # links of deleted components go; active ones hold what they did
    assert _all(
        empty,
        "SELECT public_id, component_id, status FROM public_incident_components ORDER BY 1, 2",
    ) == [(5, 1, "major_outage"), (6, 3, "under_maintenance")]
    # one subscription per address, in lower case (the confirmed one kept)
    assert _all(empty, "SELECT id, address FROM status_subscribers ORDER BY id") == [
        (2, "ann@example.org"),
        (3, "bob@example.org"),
    ]
    ((page_id, name),) = _all(empty, "SELECT page_id, name FROM status_page")
    assert len(page_id) == 12 and name == "Status"


def test_status_tables_never_reuse_ids_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path}/new.db")
    try:
        migrate.upgrade(db)
        tables = [
            "status_groups",
            "status_components",
            "status_component_history",
            "public_incidents",
            "public_incident_updates",
            "status_subscribers",
            "status_notifications",
        ]
        for name in tables:
            ((sql,),) = _all(db, f"SELECT sql FROM sqlite_master WHERE name = '{name}'")
            assert "AUTOINCREMENT" in sql, name
        assert len(_all(db, "SELECT * FROM status_page")) == 1
    finally:
        db.dispose()
