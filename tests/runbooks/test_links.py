"""Linking incidents to runbooks: the hot paths (a group's tick, a page) do not read every
runbook's body each time, a link made twice at once does not fail the tick, and a runbook's
previous incidents are neither drills nor incidents merged into another."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, event, text

from tests.runbooks.conftest import utc
from tests.runbooks.test_flow import only_incident
from tocsin.notify import runbook_links
from tocsin.store import runbooks as store

DISK = {
    "slug": "disk-full",
    "title": "Disk full",
    "matchers": ['alertname=~"Disk.*"'],
    "body": "# Disk full\n\n## Quick assessment\n\nRun df -h.\n",
}


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The SQL every engine of the process runs while the test does."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", note)
    yield seen
    event.remove(Engine, "before_cursor_execute", note)


def alert(name: str, **labels: str) -> Any:
    return SimpleNamespace(labels={"alertname": name, **labels})


def declared(b: Any, **kw: Any) -> int:
    made = b.runtime.incidents.declare(title="Disk", severity="SEV3", actor="ann", **kw)
    return int(made.id)


def test_matching_reads_the_stored_runbooks_again_only_after_a_change(
    books: Any, statements: list[str]
) -> None:
    b = books()  # the file api-latency, and disk-full stored
    assert b.post("/api/runbooks", DISK).status_code == 201
    incident = declared(b)
    config, now = b.runtime.routing, b.h.clock.now()

    def record(*alerts: Any) -> list[str]:
        statements.clear()
        with b.runtime.db.write() as conn:
            found: list[str] = runbook_links.record(conn, config, incident, alerts, now)
        return found

    assert record(alert("DiskFull")) == ["disk-full"]
    assert record(alert("APIHighLatency", service="api"), alert("DiskLow")) == ["api-latency"]
    on_runbooks = [s for s in statements if "FROM runbooks" in s]
    assert on_runbooks and all("runbooks.body" not in s for s in on_runbooks)
    assert not any("runbooks.matchers" in s for s in on_runbooks), on_runbooks  # cached
    # A saved change is seen at once.
    edited = b.put(
        "/api/runbooks/disk-full",
        {**{k: v for k, v in DISK.items() if k != "slug"}, "matchers": ["team=db"], "version": 1},
    )
    assert edited.status_code == 200, edited.text
    other = declared(b)
    with b.runtime.db.write() as conn:
        assert runbook_links.record(conn, config, other, [alert("DiskFull")], now) == []
        assert runbook_links.record(conn, config, other, [alert("X", team="db")], now) == [
            "disk-full"
        ]


def test_a_page_reads_only_the_incidents_runbooks(books: Any, statements: list[str]) -> None:
    b = books()
    assert b.post("/api/runbooks", DISK).status_code == 201
    assert b.post("/api/runbooks", {**DISK, "slug": "other", "title": "Other"}).status_code == 201
    incident = declared(b)
    with b.runtime.db.write() as conn:
        store.link(conn, incident, ["disk-full", "api-latency"], b.h.clock.now())
    statements.clear()
    with b.runtime.db.read() as conn:
        found = runbook_links.paged(conn, b.runtime.routing, incident, "http://t")
    assert [(p.title, p.url, p.quick_assessment) for p in found] == [
        ("API latency is high", "http://t/runbooks/api-latency", found[0].quick_assessment),
        ("Disk full", "http://t/runbooks/disk-full", "Run df -h."),
    ]
    assert "API dashboard" in found[0].quick_assessment
    on_runbooks = [s for s in statements if "FROM runbooks" in s]
    assert len(on_runbooks) == 1 and "runbooks.slug IN" in on_runbooks[0], on_runbooks
    assert "runbooks.matchers" not in on_runbooks[0]


def test_linking_twice_links_once(books: Any) -> None:
    b = books()
    incident = declared(b)
    now = b.h.clock.now()
    with b.runtime.db.write() as conn:
        assert store.link(conn, incident, {"b", "a"}, now) == ["a", "b"]
        assert store.link(conn, incident, {"a", "c"}, now) == ["c"]
        assert store.linked_slugs(conn, incident) == ["a", "b", "c"]


@pytest.mark.postgres
def test_a_link_made_at_the_same_moment_elsewhere_is_no_error(books: Any) -> None:
    b = books()
    if b.runtime.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes one transaction at a time: no race")
    incident = declared(b)
    now = b.h.clock.now()
    outcome: dict[str, Any] = {}

    def other() -> None:
        try:
            with b.runtime.db.write() as conn:
                outcome["new"] = store.link(conn, incident, {"disk-full", "other"}, now)
        except Exception as exc:  # what the test looks for
            outcome["error"] = exc

    with b.runtime.db.engine.connect() as first, first.begin():
        assert store.link(first, incident, {"disk-full"}, now) == ["disk-full"]
        pid = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
        thread = threading.Thread(target=other)
        thread.start()
        # Wait (bounded) until the other transaction waits for this one's row.
        blocked = text(
            "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
        )
        deadline = time.monotonic() + 20
        with b.runtime.db.engine.connect() as watch:
            while time.monotonic() < deadline and thread.is_alive():
                waiting = watch.execute(blocked, {"pid": pid}).scalar_one()
                watch.rollback()
                if waiting:
                    break
        assert thread.is_alive()
    thread.join(20)
    assert outcome == {"new": ["other"]}


def test_previous_incidents_leave_out_drills_and_list_a_merged_one_as_its_target(
    books: Any,
) -> None:
    b = books()
    b.alert("APIHighLatency", service="api")
    source = only_incident(b)
    target = declared(b)
    drill = declared(b, drill=True)
    with b.runtime.db.write() as conn:
        store.link(conn, drill, ["api-latency"], b.h.clock.now())
    b.runtime.incidents.merge(source, target, "ann")
    b.at(utc(2026, 3, 1, 13, 0))
    found = b.get("/api/runbooks/api-latency").json()
    assert [p["id"] for p in found["previousIncidents"]] == [target]
