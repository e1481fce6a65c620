"""The audit log's table: an insert in the caller's transaction, reads with filters and a
cursor, and a database that refuses to change or delete an entry (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from tocsin import origin
from tocsin.store import audit
from tocsin.store.audit import Query
from tocsin.store.database import Database

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def _fill(db: Database) -> None:
    with db.write() as conn:
        audit.record(conn, T0, "incident.acknowledged", "incident", 1, actor="ann")
        audit.record(conn, T0 + timedelta(minutes=1), "incident.resolved", "incident", 1)
        audit.record(conn, T0 + timedelta(minutes=2), "incidents.weird", "incident", 2)
        audit.record(conn, T0 + timedelta(minutes=3), "silence.created", "silence", "s-1")


def test_an_entry_takes_who_via_and_where_from_the_origin(db: Database) -> None:
    with origin.acting(origin.Origin("api", "10.1.2.3", "token:ci")), db.write() as conn:
        audit.record(
            conn, T0, "override.created", "override", 7, before=None, after={"user": "bob"}
        )
        audit.record(conn, T0, "override.removed", "override", 7, actor="ann")
    with db.read() as conn:
        removed, created = audit.entries(conn, Query())
    assert (created.actor, created.via, created.address) == ("token:ci", "api", "10.1.2.3")
    assert (created.object_kind, created.object_id) == ("override", "7")
    assert created.before is None and created.after == {"user": "bob"}
    assert created.at == T0
    assert removed.actor == "ann"  # an explicit actor wins over the origin's


def test_the_engine_is_the_origin_when_none_was_set(db: Database) -> None:
    with db.write() as conn:
        audit.record(conn, T0, "incident.escalated", "incident", 1)
    with db.read() as conn:
        (entry,) = audit.entries(conn, Query())
    assert (entry.actor, entry.via, entry.address) == ("tocsin", "engine", None)


def test_a_rolled_back_change_leaves_no_entry(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as conn:
        audit.record(conn, T0, "silence.created", "silence", "s-1")
        raise RuntimeError("the change failed after its entry was written")
    with db.read() as conn:
        assert audit.entries(conn, Query()) == []


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_to_change_or_delete_an_entry(db: Database, statement: str) -> None:
    _fill(db)
    with pytest.raises(DatabaseError, match="append-only"), db.write() as conn:
        conn.execute(text(statement))
    with db.read() as conn:
        found = audit.entries(conn, Query())
    assert len(found) == 4
    assert {e.actor for e in found} == {"ann", "tocsin"}


def test_filters_narrow_the_entries(db: Database) -> None:
    _fill(db)

    def actions(**filters: object) -> list[str]:
        with db.read() as conn:
            return [e.action for e in audit.entries(conn, Query(**filters))]  # type: ignore[arg-type]

    assert actions(actor="ann") == ["incident.acknowledged"]
    # A prefix is a whole word: "incident" is not "incidents".
    assert actions(action="incident") == ["incident.resolved", "incident.acknowledged"]
    assert actions(action="incident.") == ["incident.resolved", "incident.acknowledged"]
    assert actions(action="incident.resolved") == ["incident.resolved"]
    assert actions(action="incident_") == []  # no LIKE wildcards from the filter
    assert actions(object_kind="incident", object_id="2") == ["incidents.weird"]
    assert actions(object_kind="silence") == ["silence.created"]
    window = {"since": T0 + timedelta(minutes=1), "until": T0 + timedelta(minutes=3)}
    assert actions(**window) == ["incidents.weird", "incident.resolved"]


def test_pages_newest_first_and_exports_oldest_first(db: Database) -> None:
    _fill(db)
    with db.read() as conn:
        first = audit.entries(conn, Query(), limit=3)
        rest = audit.entries(conn, Query(), before_id=first[-1].id, limit=3)
        oldest = audit.oldest_first(conn, Query(), after_id=0, limit=2)
        then = audit.oldest_first(conn, Query(), after_id=oldest[-1].id, limit=2)
    assert [e.action for e in first] == [
        "silence.created",
        "incidents.weird",
        "incident.resolved",
    ]
    assert [e.action for e in rest] == ["incident.acknowledged"]
    assert [e.action for e in oldest + then] == [e.action for e in reversed(first + rest)]


@dataclass(frozen=True)
class Thing:
    name: str
    password_hash: str | None
    api_token: str
    since: datetime
    _private: object = None


def test_secrets_never_reach_the_log_and_long_text_is_cut() -> None:
    shown = audit.plain(
        {
            "thing": Thing("x", "$argon2id$...", "tocsin_s_abc", T0, object()),
            "settings": {"bot_token": "xoxb-1", "url": "https://example.com"},
            "client_secret": "s3cret",
            "salt": None,
            "tags": {"b", "a"},
            "body": "x" * 10_000,
        }
    )
    assert shown["thing"] == {
        "name": "x",
        "password_hash": "changed",
        "api_token": "changed",
        "since": T0.isoformat(),
    }
    assert shown["settings"] == {"bot_token": "changed", "url": "https://example.com"}
    assert shown["client_secret"] == "changed"
    assert shown["salt"] is None  # nothing is no secret
    assert shown["tags"] == ["a", "b"]
    assert len(shown["body"]) < 4100 and "10000 characters, sha256" in shown["body"]


def test_a_change_records_only_what_changed_and_nothing_when_nothing_did(db: Database) -> None:
    before = {"status": "triggered", "severity": "SEV2", "updated_at": T0}
    after = {"status": "acknowledged", "severity": "SEV2", "updated_at": T0 + timedelta(1)}
    with db.write() as conn:
        assert audit.record_change(conn, T0, "incident.acknowledged", "incident", 1, before, after)
        assert not audit.record_change(conn, T0, "incident.noop", "incident", 1, before, before)
    with db.read() as conn:
        (entry,) = audit.entries(conn, Query())
    assert entry.before == {"status": "triggered"}
    assert entry.after == {"status": "acknowledged"}
