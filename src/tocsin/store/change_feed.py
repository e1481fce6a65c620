"""Telling every node that something they keep in memory changed (docs/cluster.md).

A change is announced in the transaction that makes it (``announce``): on PostgreSQL a
``NOTIFY tocsin_changes, '<topic>'``, which PostgreSQL delivers to every listening node
when, and only if, that transaction commits. Each node's ``ChangeFeed`` listens on its own
connection and calls the callbacks of the topics it hears. Notifications are a hint, not the
truth: one sent while a node's connection was down is lost, so every ``poll`` the feed also
calls every callback, and each looks at the database itself (a version, a count). On SQLite
(one node) polling is all there is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import psycopg
from sqlalchemy import Connection, text

from tocsin.store.database import Database

__all__ = ["CHANNEL", "ChangeFeed", "announce"]

log = logging.getLogger(__name__)

CHANNEL = "tocsin_changes"
_NOTIFY = text("SELECT pg_notify(:channel, :topic)")
#: Longest wait for a notification before looking whether the feed is stopping.
_WAIT = 0.25


def announce(conn: Connection, topic: str) -> None:
    """Tell every node about ``topic`` once this transaction commits (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_NOTIFY, {"channel": CHANNEL, "topic": topic})


class ChangeFeed:
    """Calls ``callback()`` for each topic announced, and every callback each ``poll``
    seconds whatever was heard. Callbacks run on the feed's thread, one at a time; one that
    fails is logged and called again next time."""

    def __init__(self, db: Database, poll: float) -> None:
        self.db = db
        self.poll = poll
        self._callbacks: dict[str, list[Callable[[], object]]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._listening = threading.Event()

    def subscribe(self, topic: str, callback: Callable[[], object]) -> None:
        callbacks = self._callbacks.setdefault(topic, [])
        if callback not in callbacks:
            callbacks.append(callback)

    @property
    def listening(self) -> bool:
        """Whether notifications reach this node now (False on SQLite, or while the
        listening connection is down: then polling alone keeps it current)."""
        return self._listening.is_set()

    def start(self) -> None:
        self._stop.clear()
        target = self._poll_only if self.db.is_sqlite else self._listen
        self._thread = threading.Thread(target=target, name="tocsin-changes", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _run(self, topics: set[str] | None) -> None:
        """The callbacks of ``topics`` (None: all), each once."""
        chosen = (
            self._callbacks if topics is None else {t: self._callbacks.get(t, []) for t in topics}
        )
        seen: set[int] = set()
        for topic, callbacks in chosen.items():
            for callback in callbacks:
                if id(callback) in seen:
                    continue
                seen.add(id(callback))
                try:
                    callback()
                except Exception:
                    log.exception("acting on a change of %s failed; trying again later", topic)

    def _poll_only(self) -> None:
        while not self._stop.wait(self.poll):
            self._run(None)

    def _listen(self) -> None:
        url = self.db.url.set(drivername="postgresql").render_as_string(hide_password=False)
        retry = 1.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    retry = 1.0
                    self._run(None)  # whatever was missed while not listening
                    polled = time.monotonic()
                    while not self._stop.is_set():
                        # In short waits: stopping is noticed within one.
                        wait = min(_WAIT, max(0.0, polled + self.poll - time.monotonic()))
                        heard = {n.payload for n in conn.notifies(timeout=wait, stop_after=1)}
                        if heard:  # and whatever came with it
                            heard |= {n.payload for n in conn.notifies(timeout=0.01)}
                        if self._stop.is_set():
                            break
                        if time.monotonic() >= polled + self.poll:
                            polled = time.monotonic()
                            # A connection the network dropped without a word is found out
                            # here (and made again), not left "listening" to nothing.
                            conn.execute("SELECT 1")
                            self._run(None)
                        elif heard:
                            self._run(heard)
            except Exception:
                if self._stop.is_set():
                    break
                log.warning(
                    "not listening for changes from other nodes (polling every %ss); "
                    "connecting again in %ss",
                    self.poll,
                    retry,
                    exc_info=True,
                )
                self._listening.clear()
                if self._stop.wait(retry):
                    break
                self._run(None)
                retry = min(retry * 2, 30.0)
            finally:
                self._listening.clear()
