"""The change feed: a change announced in a transaction reaches every node when, and only
if, it commits (PostgreSQL's LISTEN/NOTIFY); polling covers what a notification misses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from tests.waiting import wait_until
from tocsin.store.change_feed import ChangeFeed, announce
from tocsin.store.database import Database


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def _feed(db: Database, poll: float) -> tuple[ChangeFeed, dict[str, int]]:
    feed = ChangeFeed(db, poll)
    calls = {"config": 0, "accounts": 0}
    lock = threading.Lock()

    def counter(topic: str) -> Callable[[], None]:
        def call() -> None:
            with lock:
                calls[topic] += 1

        return call

    for topic in calls:
        feed.subscribe(topic, counter(topic))
    return feed, calls


def test_a_committed_change_reaches_every_node_at_once(db: Database, db_url: str) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has no LISTEN/NOTIFY: one node, polling alone (tested below)")
    feeds = [_feed(db, poll=60.0) for _ in range(2)]  # polling cannot explain a call
    for feed, _ in feeds:
        feed.start()
    try:
        assert all(wait_until(lambda f=f: f.listening, 10) for f, _ in feeds)
        time.sleep(0.2)
        before = [dict(c) for _, c in feeds]  # the catch-up call made on connecting
        started = time.monotonic()
        with db.write() as conn:
            announce(conn, "config")
        assert all(
            wait_until(lambda c=c, b=b: c["config"] == b["config"] + 1, 5)
            for (_, c), b in zip(feeds, before, strict=True)
        )
        heard_in = time.monotonic() - started
        assert heard_in < 2, heard_in
        assert [c["accounts"] for _, c in feeds] == [b["accounts"] for b in before]
        # Rolled back: nobody hears of it.
        with pytest.raises(RuntimeError), db.write() as conn:
            announce(conn, "accounts")
            raise RuntimeError("rolled back")
        time.sleep(0.5)
        assert [c["accounts"] for _, c in feeds] == [b["accounts"] for b in before]
    finally:
        for feed, _ in feeds:
            feed.stop()


def test_polling_calls_every_callback_without_notifications(db: Database) -> None:
    feed, calls = _feed(db, poll=0.1)
    feed.start()
    try:
        assert wait_until(lambda: calls["config"] >= 3 and calls["accounts"] >= 3, 10)
    finally:
        feed.stop()


def test_a_lost_connection_is_made_again_and_what_was_missed_is_looked_at(
    db: Database,
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite: nothing to lose")
    feed, calls = _feed(db, poll=60.0)
    feed.start()
    try:
        assert wait_until(lambda: feed.listening, 10)
        time.sleep(0.2)
        before = calls["config"]
        with db.write() as conn:  # PostgreSQL drops the feed's connection
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN tocsin_changes%' AND pid <> pg_backend_pid()"
                )
            )
        # Connected again after a second, it calls every callback: what was announced
        # while it was away is not lost.
        assert wait_until(lambda: calls["config"] > before, 15)
        assert wait_until(lambda: feed.listening, 10)
        time.sleep(0.2)
        again = calls["config"]
        with db.write() as conn:
            announce(conn, "config")
        assert wait_until(lambda: calls["config"] == again + 1, 5)
    finally:
        feed.stop()


def test_a_failing_callback_is_logged_and_the_others_still_run(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    feed, calls = _feed(db, poll=0.1)

    def broken() -> None:
        raise ValueError("broken on purpose")

    feed.subscribe("config", broken)
    feed.start()
    try:
        assert wait_until(lambda: calls["config"] >= 2 and calls["accounts"] >= 2, 10)
    finally:
        feed.stop()
    assert "broken on purpose" in caplog.text
