"""Connecting to the database: embedded SQLite (WAL) by default, PostgreSQL by URL.

``Database.write()`` opens a write transaction and ``Database.read()`` a read-only one. On
SQLite writes start with ``BEGIN IMMEDIATE``, so two writers queue on the busy timeout instead
of failing when a read lock cannot be upgraded; reads never block writes (WAL).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

__all__ = ["Database", "connect"]

T = TypeVar("T")
#: PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply
#: be run again.
_RETRYABLE = {"40P01", "40001"}


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL") -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        # SQLite has one writer at a time. Writers in this process queue on this lock, which
        # hands over at once, rather than on SQLite's busy handler, which sleeps in steps of
        # up to 100 ms and turned lock contention into latency spikes.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            threading.Lock()
            if self.url.get_backend_name() == "sqlite"
            else contextlib.nullcontext()
        )
        if self.is_sqlite:
            self._writer = self._sqlite_engine(immediate=True, synchronous=sqlite_synchronous)
            # For the engine's own bookkeeping (see ``write``): WAL without fsync at commit.
            self._relaxed = self._sqlite_engine(immediate=True, synchronous="NORMAL")
            self._reader = self._sqlite_engine(immediate=False, synchronous=sqlite_synchronous)
        else:
            self._writer = create_engine(
                self.url,
                pool_size=8,
                max_overflow=8,
                pool_pre_ping=True,
                json_serializer=_dumps,
                json_deserializer=orjson.loads,
            )
            self._reader = self._writer
            self._relaxed = self._writer

    @property
    def engine(self) -> Engine:
        return self._writer

    def _sqlite_engine(self, *, immediate: bool, synchronous: str) -> Engine:
        database = self.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            self.url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
            poolclass=None if database and database != ":memory:" else NullPool,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event below issue BEGIN, not the sqlite3 module.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextlib.contextmanager
    def write(self, *, durable: bool = True) -> Iterator[Connection]:
        """A connection in a write transaction, committed on success.

        ``durable=False`` is for work whose loss in a power cut is only a repeat: the
        engine's ticks and the record of sends (redone, or a notification sent again, after
        such a crash; never lost, since what they act on was committed durably). Its commit
        does not wait for the disk: no fsync on SQLite (WAL, ``synchronous=NORMAL``; the next
        durable commit makes it durable too), ``synchronous_commit = off`` on PostgreSQL. A
        crash of the process alone loses nothing either way.
        """
        with self._write_lock:
            if durable:
                with self._writer.begin() as conn:
                    yield conn
                return
            with self._relaxed.begin() as conn:
                if not self.is_sqlite:
                    conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                yield conn

    def transact(self, work: Callable[[Connection], T], *, attempts: int = 3) -> T:
        """``work`` in a write transaction, run again (up to ``attempts`` times) when
        PostgreSQL picks it as a deadlock's victim or fails it for serialization."""
        for attempt in range(1, attempts + 1):
            try:
                with self.write() as conn:
                    return work(conn)
            except OperationalError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if code not in _RETRYABLE or attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        with self._reader.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        self._writer.dispose()
        if self._relaxed is not self._writer:
            self._relaxed.dispose()
        if self._reader is not self._writer:
            self._reader.dispose()


def connect(url: str, **kwargs: Any) -> Database:
    return Database(url, **kwargs)
