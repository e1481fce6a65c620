"""The timer runner: claim due timers, run their handlers, record the result.

A handler runs inside the transaction that also finishes or re-arms its timer, so its
effects and the timer's fate commit together. A claimed timer whose engine dies stays leased
until ``lease`` passes; then any engine claims it again. Failures are retried with backoff.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from tocsin.domain.retry import backoff
from tocsin.engine.clock import Clock
from tocsin.store import timers as timer_store
from tocsin.store.database import Database
from tocsin.store.timers import Timer

__all__ = ["Again", "Handler", "Runner"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Again:
    """Returned by a handler to run the same timer again at ``due_at``."""

    due_at: datetime
    payload: Mapping[str, Any] | None = None


#: A handler gets the open write transaction, the timer and ``now``; None means done.
Handler = Callable[[Connection, Timer, datetime], Again | None]


class Runner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        handlers: Mapping[str, Handler],
        *,
        owner: str | None = None,
        lease: timedelta = timedelta(minutes=1),
        batch: int = 50,
        max_attempts: int = 20,
    ) -> None:
        self.db = db
        self.clock = clock
        self.handlers = dict(handlers)
        self.owner = owner or f"engine-{uuid.uuid4().hex[:12]}"
        self.lease = lease
        self.batch = batch
        self.max_attempts = max_attempts
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> int:
        """Run every timer due now (in batches); return how many ran."""
        ran = 0
        while True:
            now = self.clock.now()
            with self.db.write() as conn:
                claimed = timer_store.claim_due(
                    conn, now=now, owner=self.owner, lease_until=now + self.lease, limit=self.batch
                )
            for timer in claimed:
                self._run_one(timer)
            ran += len(claimed)
            if len(claimed) < self.batch:
                return ran

    def _run_one(self, timer: Timer) -> None:
        handler = self.handlers.get(timer.kind)
        now = self.clock.now()
        try:
            if handler is None:
                raise LookupError(f"no handler for timer kind {timer.kind!r}")
            with self.db.write() as conn:
                again = handler(conn, timer, now)
                if again is None:
                    timer_store.finish(conn, timer, self.owner)
                else:
                    timer_store.release(
                        conn,
                        timer,
                        self.owner,
                        due_at=again.due_at,
                        attempts=0,
                        payload=again.payload,
                    )
        except Exception as exc:
            attempts = timer.attempts + 1
            log.exception("timer %s/%s failed (attempt %d)", timer.kind, timer.key, attempts)
            with self.db.write() as conn:
                if attempts >= self.max_attempts:
                    # Never dropped: it keeps retrying at the backoff cap, and says so.
                    log.error("timer %s/%s has failed %d times", timer.kind, timer.key, attempts)
                timer_store.release(
                    conn,
                    timer,
                    self.owner,
                    due_at=now + backoff(attempts),
                    attempts=attempts,
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                )

    # -- running in the background ------------------------------------------------------

    def start(self, poll: float = 1.0) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(poll,), name="engine", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for due timers now (after scheduling one that is due soon)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _loop(self, poll: float) -> None:
        while not self._stop.is_set():
            try:
                self.run_due()
            except Exception:
                log.exception("engine pass failed")
            self._wake.wait(poll)
            self._wake.clear()
