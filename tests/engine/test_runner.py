"""The durable timer runner on a fake clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, insert, select

from tocsin.engine.clock import FakeClock
from tocsin.engine.runner import Again, Runner
from tocsin.store import timers as timer_store
from tocsin.store.database import Database
from tocsin.store.tables import integrations, timers
from tocsin.store.timers import Timer

SEC = timedelta(seconds=1)


@pytest.fixture
def db(db_url: str):  # type: ignore[no-untyped-def]
    database = Database(db_url)
    yield database
    database.dispose()


def schedule(db: Database, kind: str, key: str, due: datetime, **payload: object) -> None:
    with db.write() as conn:
        timer_store.schedule(conn, kind, key, due, payload)


def test_runs_only_what_is_due_and_deletes_it(db: Database, clock: FakeClock) -> None:
    ran: list[str] = []

    def handler(conn: Connection, timer: Timer, now: datetime) -> None:
        ran.append(timer.key)

    runner = Runner(db, clock, {"job": handler})
    schedule(db, "job", "soon", clock.now() + 10 * SEC)
    schedule(db, "job", "later", clock.now() + 60 * SEC)
    assert runner.run_due() == 0
    clock.advance(10 * SEC)
    assert runner.run_due() == 1
    assert ran == ["soon"]
    clock.advance(50 * SEC)
    runner.run_due()
    assert ran == ["soon", "later"]
    with db.read() as conn:
        assert conn.execute(select(timers)).all() == []


def test_scheduling_the_same_key_moves_the_timer(db: Database, clock: FakeClock) -> None:
    schedule(db, "job", "k", clock.now() + 10 * SEC)
    schedule(db, "job", "k", clock.now() + 30 * SEC)
    with db.read() as conn:
        rows = conn.execute(select(timers.c.due_at)).scalars().all()
    assert rows == [clock.now() + 30 * SEC]


def test_again_reschedules_with_new_payload(db: Database, clock: FakeClock) -> None:
    seen: list[int] = []

    def handler(conn: Connection, timer: Timer, now: datetime) -> Again:
        n = int(timer.payload.get("n", 0))
        seen.append(n)
        return Again(now + 5 * SEC, {"n": n + 1})

    runner = Runner(db, clock, {"tick": handler})
    schedule(db, "tick", "t", clock.now())
    for _ in range(3):
        runner.run_due()
        clock.advance(5 * SEC)
    assert seen == [0, 1, 2]


def test_failure_rolls_back_effects_and_retries_with_backoff(
    db: Database, clock: FakeClock
) -> None:
    calls = 0

    def handler(conn: Connection, timer: Timer, now: datetime) -> None:
        nonlocal calls
        calls += 1
        conn.execute(
            insert(integrations),
            {
                "name": f"side-effect-{calls}",
                "kind": "webhook",
                "token_hash": f"{calls:064d}",
                "settings": {},
                "created_at": now,
                "token_rotated_at": now,
            },
        )
        if calls < 3:
            raise RuntimeError("receiver down")

    runner = Runner(db, clock, {"flaky": handler})
    schedule(db, "flaky", "f", clock.now())
    runner.run_due()
    with db.read() as conn:
        row = conn.execute(select(timers)).mappings().one()
        assert conn.execute(select(integrations)).all() == []  # effects rolled back
    assert row["attempts"] == 1 and "receiver down" in row["last_error"]
    assert row["due_at"] == clock.now() + 5 * SEC and row["lease_owner"] is None
    clock.advance(4 * SEC)
    assert runner.run_due() == 0
    clock.advance(1 * SEC)
    runner.run_due()  # second failure: next try 10 s later
    clock.advance(10 * SEC)
    runner.run_due()
    assert calls == 3
    with db.read() as conn:
        assert conn.execute(select(timers)).all() == []
        names = conn.execute(select(integrations.c.name)).scalars().all()
    assert names == ["side-effect-3"]


def test_unknown_kind_is_kept_and_retried_not_dropped(db: Database, clock: FakeClock) -> None:
    runner = Runner(db, clock, {})
    schedule(db, "mystery", "m", clock.now())
    runner.run_due()
    with db.read() as conn:
        row = conn.execute(select(timers)).mappings().one()
    assert row["attempts"] == 1 and "no handler" in row["last_error"]


def test_a_dead_engines_lease_expires_and_another_takes_over(
    db: Database, clock: FakeClock
) -> None:
    ran: list[str] = []
    dead = Runner(db, clock, {}, owner="dead", lease=timedelta(seconds=30))
    alive = Runner(db, clock, {"job": lambda c, t, n: ran.append(t.key)}, owner="alive")
    schedule(db, "job", "k", clock.now())
    with db.write() as conn:  # the dead engine claimed it, then died before running it
        claimed = timer_store.claim_due(
            conn, now=clock.now(), owner=dead.owner, lease_until=clock.now() + dead.lease, limit=10
        )
    assert [t.key for t in claimed] == ["k"]
    assert alive.run_due() == 0
    clock.advance(29 * SEC)
    assert alive.run_due() == 0
    clock.advance(1 * SEC)
    assert alive.run_due() == 1 and ran == ["k"]


def test_concurrent_engines_run_each_timer_exactly_once(db: Database, clock: FakeClock) -> None:
    count = 120
    with db.write() as conn:
        for i in range(count):
            timer_store.schedule(conn, "job", f"k{i}", clock.now())
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(conn: Connection, timer: Timer, now: datetime) -> None:
        with lock:
            seen[timer.key] += 1

    runners = [Runner(db, clock, {"job": handler}, owner=f"e{i}", batch=7) for i in range(3)]
    errors: list[BaseException] = []

    def work(r: Runner) -> None:
        try:
            r.run_due()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen) == count and set(seen.values()) == {1}


def test_background_loop_runs_due_timers(db: Database, clock: FakeClock) -> None:
    done = threading.Event()
    runner = Runner(db, clock, {"job": lambda c, t, n: done.set()})
    schedule(db, "job", "k", clock.now())
    runner.start(poll=0.05)
    try:
        assert done.wait(5)
    finally:
        runner.stop()
