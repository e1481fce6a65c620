"""Backups and restores, on SQLite and on PostgreSQL: a database with real rows, backed up,
restored into a fresh one, holds the same rows and Tocsin starts on it; what is not a
Tocsin backup, or a target that is not empty, is refused; a failed backup leaves nothing."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, make_url, select, text

from tests.config_parts import PAGER_ROUTE
from tests.conftest import START
from tests.notify.conftest import firing
from tocsin.api.app import create_app
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.errors import Conflict
from tocsin.secret_box import SecretKeyError, key_file_beside
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import migrate
from tocsin.store.backup import BackupError, BackupKind, SchemaState, backup, restore
from tocsin.store.database import Database
from tocsin.store.tables import metadata


@dataclass(frozen=True)
class Made:
    """What ``populate`` made: the incident's id and the integration's token."""

    incident: int
    token: str


CONFIG = (
    PAGER_ROUTE
    + """\
users:
  - {id: ann, email: ann@example.com}
teams:
  - {name: platform, members: [ann]}
escalation_policies:
  - name: platform
    team: platform
    levels:
      - delay: 5m
        targets: [{user: ann}]
"""
)


@pytest.fixture(autouse=True)
def _config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Tocsin here runs with the same routing configuration (TOCSIN_CONFIG)."""
    path = tmp_path_factory.mktemp("config") / "tocsin.yaml"
    path.write_text(CONFIG)
    monkeypatch.setenv("TOCSIN_CONFIG", str(path))


def _runtime(url: str) -> Runtime:
    settings = Settings(database_url=url, sqlite_synchronous="NORMAL")
    return Runtime.build(settings, clock=FakeClock(START), run_engine=False)


def populate(url: str, name: str = "prom") -> Made:
    """Real rows through the real services: an integration, an API token, an incident
    declared by hand and alerts posted to the Alertmanager API (routed to a policy)."""
    runtime = _runtime(url)
    runtime.start()
    try:
        _, token = runtime.integrations.create(name, IntegrationKind.ALERTMANAGER)
        runtime.api_tokens.create(kind="service", name="ops", scope="manage", created_by="tests")
        incident = runtime.incidents.declare(
            title="Disk full on db-1", severity="SEV2", actor="ann", summary="93% and rising"
        )
        with TestClient(create_app(runtime, manage_runtime=False)) as client:
            response = client.post(
                "/api/v2/alerts",
                json=[firing("DiskFull", instance="db-1"), firing("Latency", instance="web-1")],
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
        return Made(incident.id, token)
    finally:
        runtime.stop()


def counts(url: str) -> dict[str, int]:
    """Rows in every table of Tocsin's schema, and the schema revision."""
    db = Database(url)
    try:
        with db.read() as conn:
            found = {
                t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in metadata.sorted_tables
            }
            found["alembic_version"] = conn.execute(
                text("SELECT count(*) FROM alembic_version")
            ).scalar_one()
            return found
    finally:
        db.dispose()


def carry_key(source_url: str, target_url: str) -> None:
    """Copy a SQLite database's own key file beside the restored one (docs/backup.md)."""
    source, target = key_file_beside(source_url), key_file_beside(target_url)
    if source is not None and target is not None:
        shutil.copyfile(source, target)


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A new, empty database of the same kind as ``db_url`` (nothing migrated)."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/restored/tocsin.db"
    url: str = request.getfixturevalue("postgres").new()
    return url


def _set_revision(url: str, revision: str) -> None:
    db = Database(url)
    with db.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    db.dispose()


# -- the round trip -------------------------------------------------------------------------


def test_a_restored_backup_holds_the_same_data_and_tocsin_starts_on_it(
    db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    made = populate(db_url)
    before = counts(db_url)
    assert before["incidents"] >= 1 and before["integrations"] == 1
    assert sum(before.values()) > 10  # timeline, alerts, events, timers, secrets, audit ...

    out = tmp_path / "tocsin.backup"
    info = backup(db_url, out)
    sqlite = db_url.startswith("sqlite")
    assert info.path == out and info.size == out.stat().st_size > 0
    assert info.kind is (BackupKind.SQLITE if sqlite else BackupKind.POSTGRESQL)
    assert info.revision == migrate.head_revision()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    assert out.stat().st_mode & 0o077 == 0  # it holds the audit log and every ciphertext

    done = restore(fresh_url, out, force=False)
    assert done.revision == migrate.head_revision() and done.state is SchemaState.CURRENT
    assert done.database == fresh_url.replace("+psycopg", "")  # as psql would take it
    assert counts(fresh_url) == before

    carry_key(db_url, fresh_url)
    runtime = _runtime(fresh_url)
    runtime.start()
    try:
        with runtime.db.read() as conn:
            assert migrate.is_current(conn)
        incident = runtime.incidents.get(made.incident)
        assert (incident.title, incident.summary) == ("Disk full on db-1", "93% and rising")
        assert [i.name for i in runtime.integrations.list()] == ["prom"]
        # The integration's token (kept as a digest) still lets its sender in.
        with TestClient(create_app(runtime, manage_runtime=False)) as client:
            response = client.post(
                "/api/v2/alerts",
                json=[firing("DiskFull", instance="db-2")],
                headers={"Authorization": f"Bearer {made.token}"},
            )
            assert response.status_code == 200, response.text
    finally:
        runtime.stop()


def test_a_sqlite_restore_needs_the_key_its_secrets_were_encrypted_with(
    sqlite_migrated: Path, tmp_path: Path
) -> None:
    source = f"sqlite:///{tmp_path}/tocsin.db"
    shutil.copyfile(sqlite_migrated, tmp_path / "tocsin.db")
    populate(source)
    out = tmp_path / "tocsin.backup"
    backup(source, out)
    target = f"sqlite:///{tmp_path}/elsewhere/tocsin.db"
    restore(target, out, force=False)
    runtime = _runtime(target)  # makes a new key beside it: not the one that encrypted
    with pytest.raises(SecretKeyError, match="cannot decrypt"):
        runtime.start()
    runtime.stop()


# -- refusals -------------------------------------------------------------------------------


def test_restore_refuses_a_database_that_holds_tocsin_unless_forced(
    db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    populate(db_url)
    out = tmp_path / "tocsin.backup"
    backup(db_url, out)
    populate(fresh_url, name="other")  # migrated, with rows of its own
    theirs = counts(fresh_url)
    with pytest.raises(Conflict, match="already holds Tocsin's tables .*--force"):
        restore(fresh_url, out, force=False)
    assert counts(fresh_url) == theirs  # nothing changed

    restore(fresh_url, out, force=True)
    assert counts(fresh_url) == counts(db_url)
    carry_key(db_url, fresh_url)
    runtime = _runtime(fresh_url)
    runtime.start()
    try:
        assert [i.name for i in runtime.integrations.list()] == ["prom"]
    finally:
        runtime.stop()


def _sqlite_file(path: Path, *, tocsin: bool) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    if tocsin:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
    conn.commit()
    conn.close()
    return path


def test_restore_refuses_what_is_not_a_tocsin_backup(
    db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.backup"
    garbage.write_bytes(b"#!/bin/sh\necho not a backup\n" * 10)
    with pytest.raises(BackupError, match=rf"^{garbage}: is not a Tocsin backup \(neither"):
        restore(fresh_url, garbage, force=False)
    missing = tmp_path / "missing.backup"
    with pytest.raises(BackupError, match=rf"^{missing}: no such file"):
        restore(fresh_url, missing, force=False)

    if db_url.startswith("sqlite"):
        wrong = tmp_path / "pg.backup"
        wrong.write_bytes(b"PGDMP\x01\x0f\x00" + bytes(100))
        with pytest.raises(BackupError, match=rf"^{wrong}: is a pg_dump custom archive, .* SQLite"):
            restore(fresh_url, wrong, force=False)
        foreign = _sqlite_file(tmp_path / "notes.db", tocsin=False)
        with pytest.raises(BackupError, match=rf"^{foreign}: is not a Tocsin database"):
            restore(fresh_url, foreign, force=False)
        damaged = tmp_path / "damaged.db"
        copy = tmp_path / "good.backup"
        backup(db_url, copy)
        data = bytearray(copy.read_bytes())
        data[4096 * 3 : 4096 * 6] = bytes(4096 * 3)  # pages zeroed
        damaged.write_bytes(bytes(data))
        with pytest.raises(BackupError, match=rf"^{damaged}: (is damaged|cannot read it)"):
            restore(fresh_url, damaged, force=False)
    else:
        wrong = _sqlite_file(tmp_path / "tocsin.db", tocsin=True)
        with pytest.raises(
            BackupError, match=rf"^{wrong}: is a SQLite database file, .* PostgreSQL"
        ):
            restore(fresh_url, wrong, force=False)
        broken = tmp_path / "broken.backup"
        broken.write_bytes(b"PGDMP" + bytes(200))
        with pytest.raises(BackupError, match=rf"^{broken}: is not a readable pg_dump archive"):
            restore(fresh_url, broken, force=False)
    assert counts(db_url)["alembic_version"] == 1  # (the source is untouched)


def test_backup_refuses_to_write_over_the_database(tmp_path: Path, sqlite_migrated: Path) -> None:
    live = tmp_path / "tocsin.db"
    shutil.copyfile(sqlite_migrated, live)
    with pytest.raises(BackupError, match="is the database itself"):
        backup(f"sqlite:///{live}", live)
    with pytest.raises(BackupError, match="is a directory"):
        backup(f"sqlite:///{live}", tmp_path)
    assert counts(f"sqlite:///{live}")["alembic_version"] == 1


# -- failures leave nothing that looks good -------------------------------------------------


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite:///{tmp}/absent/tocsin.db", "cannot open the database"),
        pytest.param(
            "postgresql+psycopg://postgres:secret@127.0.0.1:1/tocsin",
            r"pg_dump of postgresql://postgres:\*\*\*@127.0.0.1:1/tocsin failed: "
            ".*Connection refused",
            marks=pytest.mark.postgres,
        ),
    ],
)
def test_a_failed_backup_leaves_no_file(url: str, problem: str, tmp_path: Path) -> None:
    out = tmp_path / "tocsin.backup"
    with pytest.raises(BackupError, match=problem):
        backup(url.format(tmp=tmp_path), out)
    assert list(tmp_path.iterdir()) == []

    out.write_bytes(b"yesterday's good backup")
    with pytest.raises(BackupError):
        backup(url.format(tmp=tmp_path), out)
    assert out.read_bytes() == b"yesterday's good backup"  # kept, not truncated
    assert list(tmp_path.iterdir()) == [out]


def test_backup_refuses_a_database_that_is_not_tocsins(fresh_url: str, tmp_path: Path) -> None:
    if fresh_url.startswith("sqlite"):
        path = Path(make_url(fresh_url).database or "")
        path.parent.mkdir()
        _sqlite_file(path, tocsin=False)
        problem = rf"^{path}: is not a Tocsin database \(it has no alembic_version table\)"
    else:
        problem = r"^the dump of postgresql.*: is not Tocsin's \(it has no alembic_version"
    out = tmp_path / "tocsin.backup"
    with pytest.raises(BackupError, match=problem):
        backup(fresh_url, out)
    assert not out.exists() and not list(tmp_path.glob(".*"))


def test_a_missing_pg_dump_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    out = tmp_path / "tocsin.backup"
    with pytest.raises(BackupError, match="^pg_dump: not found on PATH; install"):
        backup("postgresql+psycopg://postgres@127.0.0.1:5432/test", out)
    assert not out.exists()


def test_a_sqlite_backup_taken_while_tocsin_writes_is_consistent(
    sqlite_migrated: Path, tmp_path: Path
) -> None:
    """A writer commits a pair of rows per transaction, with a large payload, while backups
    are taken: every backup passes integrity_check and holds whole pairs only."""
    live = tmp_path / "tocsin.db"
    shutil.copyfile(sqlite_migrated, live)
    url = f"sqlite:///{live}"
    db = Database(url)
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE pair_a (n INTEGER PRIMARY KEY, payload BLOB)")
        conn.exec_driver_sql("CREATE TABLE pair_b (n INTEGER PRIMARY KEY, payload BLOB)")
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        while not stop.is_set():
            with db.write() as conn:
                n = written[0] + 1
                for table in ("pair_a", "pair_b"):
                    conn.exec_driver_sql(f"INSERT INTO {table} VALUES (?, randomblob(20000))", (n,))
            written[0] = n

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 20:  # the writer is under way
            threading.Event().wait(0.01)
        seen = []
        for i in range(5):
            out = tmp_path / f"backup-{i}"
            info = backup(url, out)
            assert info.revision == migrate.head_revision()
            copy = sqlite3.connect(out)
            try:
                assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                a = copy.execute("SELECT count(*), max(n) FROM pair_a").fetchone()
                b = copy.execute("SELECT count(*), max(n) FROM pair_b").fetchone()
                assert a == b and a[0] == a[1]  # whole transactions, none half there
                assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
            finally:
                copy.close()
            seen.append(a[0])
    finally:
        stop.set()
        thread.join()
        db.dispose()
    assert seen == sorted(seen) and seen[-1] > seen[0]  # the writer went on throughout
    assert not list(tmp_path.glob("backup-*-wal"))  # each backup is one file


# -- schema revisions -----------------------------------------------------------------------


def test_an_older_backup_restores_and_migrates(
    db_url: str, fresh_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if db_url.startswith("sqlite"):
        old_url = f"sqlite:///{tmp_path}/old.db"
    else:
        old_url = request.getfixturevalue("postgres").new()
    db = Database(old_url)
    migrate.upgrade(db, "0019")
    db.dispose()
    out = tmp_path / "old.backup"
    assert backup(old_url, out).revision == "0019"

    done = restore(fresh_url, out, force=False)
    assert (done.revision, done.state, done.head) == (
        "0019",
        SchemaState.OLDER,
        migrate.head_revision(),
    )
    db = Database(fresh_url)
    try:
        migrate.upgrade(db)
        with db.read() as conn:
            assert migrate.is_current(conn)
    finally:
        db.dispose()


def test_a_backup_from_a_newer_tocsin_is_said_to_be_one(
    db_url: str, fresh_url: str, tmp_path: Path
) -> None:
    _set_revision(db_url, "9999_from_the_future")
    out = tmp_path / "newer.backup"
    try:
        assert backup(db_url, out).revision == "9999_from_the_future"
    finally:  # the PostgreSQL database is shared by the tests that follow
        _set_revision(db_url, str(migrate.head_revision()))
    done = restore(fresh_url, out, force=False)
    assert (done.revision, done.state) == ("9999_from_the_future", SchemaState.UNKNOWN)
