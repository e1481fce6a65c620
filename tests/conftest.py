"""Shared fixtures: a database on SQLite and on PostgreSQL, a fake clock, a runtime, a client.

PostgreSQL comes from TOCSIN_TEST_POSTGRES_URL (``make test`` sets it to the local server).
Without it the PostgreSQL half skips with a visible reason, except under CI=true, where a
missing or unreachable server fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text

from tests.notify.conftest import Harness
from tests.receiver_server import ReceiverServer
from tocsin.api.app import create_app
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import migrate
from tocsin.store.database import Database
from tocsin.store.tables import metadata

IN_CI = os.environ.get("CI", "").lower() == "true"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _postgres_admin_url() -> str:
    url = os.environ.get("TOCSIN_TEST_POSTGRES_URL")
    if not url:
        if IN_CI:
            pytest.fail("CI=true but TOCSIN_TEST_POSTGRES_URL is not set", pytrace=False)
        pytest.skip("PostgreSQL tests need TOCSIN_TEST_POSTGRES_URL (make test sets it)")
    return Settings(database_url=url).database_url


class PostgresDatabases:
    """Creates throwaway databases on the test server and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def new(self) -> str:
        name = f"tocsin_t_{uuid.uuid4().hex[:12]}"
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.engine.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    url = _postgres_admin_url()
    dbs = PostgresDatabases(url)
    try:
        with dbs.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {url} is unreachable: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL at {url} is unreachable: {exc}")
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def postgres_migrated(postgres: PostgresDatabases) -> str:
    url = postgres.new()
    db = Database(url)
    migrate.upgrade(db)
    db.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file; each test gets a copy (faster than migrating each)."""
    path = tmp_path_factory.mktemp("template") / "tocsin.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db)
    db.dispose()
    return path


def _truncate(url: str) -> None:
    db = Database(url)
    with db.write() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database: SQLite in a temp dir, or the shared PostgreSQL one."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "tocsin.db"
        shutil.copyfile(request.getfixturevalue("sqlite_migrated"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_migrated")
    _truncate(url)
    return url


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite's receivers listen on 127.0.0.1: allowed as an operator allows a receiver
    on their own network (TOCSIN_OUTBOUND_ALLOW), so personal webhooks reach them. Tests of
    the outbound guard itself remove it (tests/security)."""
    monkeypatch.setenv("TOCSIN_OUTBOUND_ALLOW", "127.0.0.1")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, sqlite_synchronous="NORMAL")


@pytest.fixture
def runtime(settings: Settings, clock: FakeClock) -> Iterator[Runtime]:
    rt = Runtime.build(settings, clock=clock, run_engine=False)
    rt.start()
    yield rt
    rt.stop()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, manage_runtime=False)) as c:
        yield c


@pytest.fixture
def tokens(runtime: Runtime) -> dict[IntegrationKind, str]:
    """One integration of every kind; their tokens by kind."""
    out = {}
    for kind in IntegrationKind:
        _, out[kind] = runtime.integrations.create(f"test-{kind.value}", kind)
    return out


@pytest.fixture
def api_token(runtime: Runtime) -> str:
    """A service API token that may do everything (scope manage, no team)."""
    _, token = runtime.api_tokens.create(
        kind="service", name="tests", scope="manage", created_by="tests"
    )
    return token


@pytest.fixture
def receiver() -> Iterator[ReceiverServer]:
    server = ReceiverServer()
    yield server
    server.close()


@pytest.fixture
def routed(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Any]:
    """``routed(config_text)`` -> a Harness; closed at the end."""
    made: list[Harness] = []

    def make(text: str) -> Harness:
        path = tmp_path / "tocsin.yaml"
        path.write_text(text)
        harness = Harness(db_url, path, clock)
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()
