"""What two nodes may do at the same instant on PostgreSQL: schedule the same new timer,
count the same first sign-in tries, give back what a stopping node holds."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import START
from tocsin.domain.sign_in_lockout import LockoutPolicy
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.services.sign_in_guard import SignInGuard
from tocsin.settings import Settings
from tocsin.store import timers as timer_store
from tocsin.store.database import Database
from tocsin.store.tables import timers


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def _at_once(work: Callable[[int], object], count: int) -> list[BaseException]:
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return failures


def test_nodes_scheduling_the_same_new_timer_make_one(db: Database) -> None:
    """Three nodes start at once and each makes sure the daily timer exists: one row, no
    unique-key failure."""

    def schedule(i: int) -> None:
        with db.write() as conn:
            timer_store.schedule(conn, "daily", "all", START + timedelta(minutes=i), replace=False)

    assert _at_once(schedule, 3) == []
    with db.read() as conn:
        rows = conn.execute(select(func.count()).where(timers.c.kind == "daily")).scalar_one()
    assert rows == 1

    def move(i: int) -> None:
        with db.write() as conn:
            timer_store.schedule(conn, "moved", "k", START + timedelta(minutes=i))

    assert _at_once(move, 3) == []
    with db.read() as conn:
        due = conn.execute(select(timers.c.due_at).where(timers.c.kind == "moved")).scalars()
        assert len(list(due)) == 1


def test_first_tries_at_once_are_counted_one_after_another(db: Database) -> None:
    """Twenty wrong passwords for one account, all at the same instant on several nodes: no
    more are let through to be checked than the policy allows (the counter has a row to
    hold from the first try on)."""
    policy = LockoutPolicy(max_failures=3)
    guards = [SignInGuard(db, policy) for _ in range(4)]
    allowed: list[int] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        guard = guards[i % len(guards)]
        if guard.attempt(["account:ann"], START):
            with lock:
                allowed.append(i)
            guard.failed(["account:ann"], START)

    assert _at_once(attempt, 20) == []
    assert 1 <= len(allowed) <= policy.max_failures


def test_a_stopping_node_gives_back_what_it_holds(db_url: str) -> None:
    runtime = Runtime.build(
        Settings(database_url=db_url, sqlite_synchronous="NORMAL"),
        clock=FakeClock(START),
        run_engine=False,
    )
    runtime.start()
    with runtime.db.write() as conn:
        for key in ("a", "b"):
            timer_store.schedule(conn, "held", key, START)
        held = timer_store.claim_due(
            conn,
            now=START,
            owner=runtime.runner.owner,
            lease_until=START + timedelta(minutes=1),
            limit=10,
            kinds=["held"],
        )
    assert len(held) == 2
    runtime.stop()
    db = Database(db_url)
    try:
        with db.write() as conn:  # another node claims them now, not when the lease ends
            taken = timer_store.claim_due(
                conn,
                now=START,
                owner="other",
                lease_until=START + timedelta(minutes=1),
                limit=10,
                kinds=["held"],
            )
        assert sorted(t.key for t in taken) == ["a", "b"]
    finally:
        db.dispose()
