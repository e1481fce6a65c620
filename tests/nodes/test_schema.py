"""Nodes starting at once migrate the schema once (an advisory lock); a node refuses a
schema newer than it knows, and one already running goes on serving, flagged."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.live_server import free_port
from tocsin.api.app import create_app
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import migrate
from tocsin.store.database import Database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/fresh.db"
    url: str = request.getfixturevalue("postgres").new()
    return url


def test_nodes_migrating_at_once_migrate_once(empty_db_url: str) -> None:
    """Four nodes upgrade an empty database at the same instant: one migrates, the others
    wait for it and find the schema current (without the lock, the others fail creating
    tables that exist)."""
    dbs = [Database(empty_db_url) for _ in range(4)]
    barrier = threading.Barrier(len(dbs))
    failures: list[BaseException] = []

    def node(db: Database) -> None:
        barrier.wait()
        try:
            migrate.upgrade(db)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=node, args=(db,)) for db in dbs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert failures == []
        with dbs[0].read() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            count = conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one()
        assert count == 1
    finally:
        for db in dbs:
            db.dispose()


def _stamp(url: str, revision: str) -> None:
    db = Database(url)
    with db.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    db.dispose()


def test_a_node_refuses_a_schema_newer_than_it_knows(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    migrate.upgrade(db)
    db.dispose()
    _stamp(empty_db_url, "0999")
    runtime = Runtime.build(
        Settings(database_url=empty_db_url, sqlite_synchronous="NORMAL"), clock=FakeClock()
    )
    try:
        with pytest.raises(migrate.SchemaTooNew) as refused:
            runtime.start()
        message = str(refused.value)
        assert "0999" in message and str(migrate.head_revision()) in message
        with runtime.db.read() as conn:  # nothing was changed
            assert migrate.current_revision(conn) == "0999"
    finally:
        runtime.db.dispose()


def test_the_cli_says_why_it_will_not_migrate(empty_db_url: str) -> None:
    from typer.testing import CliRunner

    from tocsin.cli.main import app

    db = Database(empty_db_url)
    migrate.upgrade(db)
    db.dispose()
    _stamp(empty_db_url, "0999")
    result = CliRunner().invoke(app, ["db", "upgrade", "--database-url", empty_db_url])
    assert result.exit_code != 0
    assert "revision 0999" in result.output and "newer release" in result.output


def test_serve_refuses_in_one_line(empty_db_url: str, tmp_path: Path) -> None:
    db = Database(empty_db_url)
    migrate.upgrade(db)
    db.dispose()
    _stamp(empty_db_url, "0999")
    done = subprocess.run(
        [sys.executable, "-m", "tocsin", "serve", "--port", str(free_port())],
        env={**os.environ, "TOCSIN_DATABASE_URL": empty_db_url},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "error: the database schema is at revision 0999" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_running_node_keeps_serving_when_a_newer_one_migrates(
    db_url: str, clock: FakeClock
) -> None:
    """A rolling upgrade: the first upgraded node migrates; the others, still running the
    release before, stay ready (a release's migrations only add) and say they are behind."""
    runtime = Runtime.build(
        Settings(database_url=db_url, sqlite_synchronous="NORMAL"), clock=clock, run_engine=False
    )
    runtime.start()
    try:
        client = TestClient(create_app(runtime, manage_runtime=False))
        assert client.get("/readyz").json()["status"] == "ok"
        _stamp(db_url, "0999")
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert "0999" in ready.json()["warning"] and "upgrade" in ready.json()["warning"]
        # An older schema (not yet migrated) is not ready: this node would migrate it.
        _stamp(db_url, "0020")
        assert client.get("/readyz").status_code == 503
    finally:
        _stamp(db_url, str(migrate.head_revision()))
        runtime.stop()
