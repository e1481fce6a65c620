"""Backing up and restoring Tocsin's database (docs/backup.md).

SQLite is copied with SQLite's online backup API: one read transaction, so the copy is
consistent while Tocsin keeps writing (WAL: readers never block the writer), written as a
single self-contained file. PostgreSQL is dumped with ``pg_dump --format=custom`` and
restored with ``pg_restore`` in one transaction.

A backup is written to a temporary file beside the one asked for, checked (SQLite's
``quick_check``; ``pg_restore`` reading the archive back) and only then renamed over it: a
backup that failed leaves nothing that looks like a good one. A restore refuses a file
that is not a Tocsin backup for the target's kind of database, and a target that already
holds Tocsin's tables unless forced.
"""

from __future__ import annotations

import contextlib
import enum
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, create_engine, inspect, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from tocsin.errors import Conflict, TocsinError
from tocsin.store import migrate
from tocsin.store.tables import metadata

__all__ = [
    "BackupError",
    "BackupInfo",
    "BackupKind",
    "RestoreInfo",
    "SchemaState",
    "backup",
    "restore",
]

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
#: Tables a Tocsin database has; a restore target holding any of them is not empty.
_TOCSIN_TABLES = frozenset(metadata.tables) | {"alembic_version"}


class BackupError(TocsinError):
    """A backup or restore could not be done; the message names the file and the problem."""


class BackupKind(enum.Enum):
    SQLITE = "SQLite database file"
    POSTGRESQL = "pg_dump custom archive"


class SchemaState(enum.Enum):
    """A restored database's schema revision, against the migrations this Tocsin ships."""

    CURRENT = "current"
    #: An older revision: ``tocsin db upgrade`` (or starting Tocsin) migrates it.
    OLDER = "older"
    #: A revision this Tocsin does not know: the backup was made by a newer Tocsin.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    kind: BackupKind
    #: The schema revision (alembic_version) inside the backup.
    revision: str | None


@dataclass(frozen=True)
class RestoreInfo:
    source: Path
    #: The database restored into, password hidden.
    database: str
    kind: BackupKind
    #: The schema revision of the restored database, and how it stands against ``head``.
    revision: str | None
    head: str | None
    state: SchemaState


# -- backup ---------------------------------------------------------------------------------


def backup(database_url: str, out: Path) -> BackupInfo:
    """Write a backup of the database at ``database_url`` to ``out`` (replacing it only
    once the new backup is complete and checked)."""
    url = make_url(database_url)
    if out.is_dir():
        raise BackupError(f"{out}: is a directory; give the backup file's name")
    if not out.parent.is_dir():
        raise BackupError(f"{out}: no such directory {out.parent}")
    if _is_sqlite(url):
        source = _sqlite_path(url)
        if out.exists() and out.resolve() == source.resolve():
            raise BackupError(f"{out}: is the database itself; give another file")
        with _partial(out) as temp:
            revision = _sqlite_backup(source, temp)
        kind = BackupKind.SQLITE
    elif url.get_backend_name() == "postgresql":
        with _partial(out) as temp:
            revision = _pg_dump(url, temp)
        kind = BackupKind.POSTGRESQL
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")
    return BackupInfo(out, out.stat().st_size, kind, revision)


@contextlib.contextmanager
def _partial(out: Path) -> Iterator[Path]:
    """A temporary file beside ``out`` (mode 0600: a backup holds every secret's
    ciphertext and the audit log), renamed to ``out`` if the block succeeds and removed
    if it does not."""
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # the rename itself, durable
        directory = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _sqlite_backup(source: Path, temp: Path) -> str | None:
    try:
        # mode=rw: a missing database is an error, not a new empty file.
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot open the database: {exc}") from None
    try:
        revision = _sqlite_revision(src, source)
        dst = sqlite3.connect(temp)
        try:
            # One step (pages=-1): one read transaction, so one consistent snapshot.
            src.backup(dst)
            # A single self-contained file: no -wal beside it to forget.
            dst.execute("PRAGMA journal_mode=DELETE")
            if dst.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"{temp}: the copy of {source} failed its check")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: backup failed: {exc}") from None
    finally:
        src.close()
    return revision


def _pg_dump(url: URL, temp: Path) -> str | None:
    dbname, env = _libpq(url)
    _run(
        [_program("pg_dump"), "--format=custom", "--no-password", f"--file={temp}", dbname],
        env,
        f"pg_dump of {_safe(url)} failed",
    )
    # Read the archive back: proves it is whole, and that it is Tocsin's.
    return _archive_revision(temp, f"the dump of {_safe(url)}")


# -- restore --------------------------------------------------------------------------------


def restore(database_url: str, source: Path, *, force: bool) -> RestoreInfo:
    """Restore the backup ``source`` into the database at ``database_url``; refused
    (Conflict) if that database already holds Tocsin's tables, unless ``force``."""
    url = make_url(database_url)
    sqlite = _is_sqlite(url)
    kind = _backup_kind(source)
    wanted = BackupKind.SQLITE if sqlite else BackupKind.POSTGRESQL
    if kind is not wanted:
        raise BackupError(
            f"{source}: is a {kind.value}, and the database {_safe(url)} is "
            f"{'SQLite' if sqlite else 'PostgreSQL'}: it needs a {wanted.value}"
        )
    if sqlite:
        revision = _sqlite_restore(source, _sqlite_path(url), force=force)
    elif url.get_backend_name() == "postgresql":
        revision = _pg_restore(url, source, force=force)
    else:
        raise BackupError(f"cannot restore into a {url.get_backend_name()} database")
    head = migrate.head_revision()
    return RestoreInfo(source, _safe(url), kind, revision, head, _state(revision, head))


def _backup_kind(source: Path) -> BackupKind:
    try:
        with open(source, "rb") as f:
            start = f.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"{source}: no such file") from None
    except OSError as exc:
        raise BackupError(f"{source}: cannot read it: {exc.strerror}") from None
    if start == SQLITE_MAGIC:
        return BackupKind.SQLITE
    if start.startswith(PGDUMP_MAGIC):
        return BackupKind.POSTGRESQL
    raise BackupError(
        f"{source}: is not a Tocsin backup (neither a SQLite database file nor a pg_dump "
        "custom archive)"
    )


def _sqlite_restore(source: Path, target: Path, *, force: bool) -> str | None:
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError(f"{source}: is the database to restore into")
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: cannot open it: {exc}") from None
    try:
        try:
            if src.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"{source}: is damaged (SQLite's quick_check fails)")
            _sqlite_revision(src, source)  # BackupError if it is not Tocsin's
        except sqlite3.Error as exc:
            raise BackupError(f"{source}: cannot read it: {exc}") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():  # as private as the backup it comes from
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        try:
            dst = sqlite3.connect(target, timeout=30)
        except sqlite3.Error as exc:
            raise BackupError(f"{target}: cannot open the database: {exc}") from None
        try:
            try:
                found = _tocsin_tables(
                    r for (r,) in dst.execute("SELECT name FROM sqlite_master WHERE type='table'")
                )
            except sqlite3.DatabaseError as exc:
                raise BackupError(f"{target}: cannot read the database: {exc}") from None
            _refuse_unless_empty(found, f"sqlite:///{target}", force=force)
            src.backup(dst)  # one write transaction on the target: all or nothing
            return _sqlite_revision(dst, target)
        except sqlite3.Error as exc:
            raise BackupError(f"{target}: restore from {source} failed: {exc}") from None
        finally:
            dst.close()
    finally:
        src.close()


def _pg_restore(url: URL, source: Path, *, force: bool) -> str | None:
    pg_restore = _program("pg_restore")
    _archive_revision(source, str(source))  # BackupError if unreadable or not Tocsin's
    engine = create_engine(url, poolclass=NullPool)
    try:
        try:
            with engine.connect() as conn:
                found = _tocsin_tables(inspect(conn).get_table_names())
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            raise BackupError(f"cannot connect to {_safe(url)}: {reason}") from None
        _refuse_unless_empty(found, _safe(url), force=force)
        dbname, env = _libpq(url)
        _run(
            [
                pg_restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "--no-password",
                f"--dbname={dbname}",
                str(source),
            ],
            env,
            f"pg_restore of {source} into {_safe(url)} failed (nothing was changed)",
        )
        with engine.connect() as conn:
            return migrate.current_revision(conn)
    finally:
        engine.dispose()


def _refuse_unless_empty(found: list[str], database: str, *, force: bool) -> None:
    if found and not force:
        listed = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        raise Conflict(
            f"{database} already holds Tocsin's tables ({listed}): restore into a new, empty "
            "database, or stop Tocsin and give --force to replace them"
        )


def _state(revision: str | None, head: str | None) -> SchemaState:
    if revision == head:
        return SchemaState.CURRENT
    if revision is None:
        return SchemaState.OLDER
    return SchemaState.OLDER if revision in migrate.known_revisions() else SchemaState.UNKNOWN


# -- both -----------------------------------------------------------------------------------


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    name = url.database or ""
    if not name or name == ":memory:" or name.startswith("file:") or url.query.get("mode"):
        raise BackupError(f"{url}: an in-memory database has nothing to back up or restore")
    return Path(name)


def _sqlite_revision(conn: sqlite3.Connection, path: Path) -> str | None:
    tables = {r for (r,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "alembic_version" not in tables:
        raise BackupError(f"{path}: is not a Tocsin database (it has no alembic_version table)")
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _tocsin_tables(names: Iterable[str]) -> list[str]:
    return sorted(n for n in names if n in _TOCSIN_TABLES)


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name}: not found on PATH; install the PostgreSQL client programs (the same "
            "major version as the server or newer), e.g. the postgresql-client package"
        )
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for ``url`` (without its driver and password), and the
    environment with the password in PGPASSWORD: never on a command line, where ``ps``
    shows it."""
    env = dict(os.environ)
    env.setdefault("PGCONNECT_TIMEOUT", "10")  # an unreachable server fails, not hangs
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict[str, str], failure: str) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        reason = "; ".join(lines[-3:]) or f"exit status {done.returncode}"
        raise BackupError(f"{failure}: {reason}")
    return done.stdout


def _archive_revision(archive: Path, what: str) -> str | None:
    """The alembic_version row inside a pg_dump custom archive, read with pg_restore;
    BackupError if pg_restore cannot read it or it holds no alembic_version table."""
    listing = _run(
        [_program("pg_restore"), "--list", str(archive)],
        dict(os.environ),
        f"{what}: is not a readable pg_dump archive",
    )
    if not any(
        " TABLE DATA " in line and " alembic_version " in line for line in listing.split("\n")
    ):
        raise BackupError(f"{what}: is not Tocsin's (it has no alembic_version table)")
    script = _run(
        [
            _program("pg_restore"),
            "--data-only",
            "--table=alembic_version",
            "--file=-",
            str(archive),
        ],
        dict(os.environ),
        f"{what}: cannot read its alembic_version table",
    )
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and "alembic_version" in line:
            first = next(lines, "\\.")
            return None if first == "\\." else first.strip()
    return None


def _safe(url: URL) -> str:
    """``url`` for messages: no password, no SQLAlchemy driver (postgresql://...)."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
