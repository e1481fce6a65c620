"""The timer runner: claim due timers, run their handlers, record the result.

Two kinds of work. A ``Handler`` runs inside the transaction that also finishes or re-arms
its timer, so its effects and the timer's fate commit together; due handlers of one pass
share one transaction. A ``Job`` does IO (sending a notification): it is prepared in a
read, performed outside any transaction on a worker thread, so a slow receiver never holds
the database or delays the others, and completed in a write. A claimed timer whose engine
dies stays leased until ``lease`` passes; then any engine claims it again. Failures are
retried with backoff.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection

from tocsin.domain.retry import backoff
from tocsin.engine.clock import Clock
from tocsin.store import timers as timer_store
from tocsin.store.database import Database
from tocsin.store.group_commit import GroupCommit
from tocsin.store.timers import Timer

__all__ = ["Again", "Handler", "Job", "Runner"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Again:
    """Returned by a handler to run the same timer again at ``due_at``."""

    due_at: datetime
    payload: Mapping[str, Any] | None = None


#: A handler gets the open write transaction, the timer and ``now``; None means done. It may
#: also have ``run_many(conn, timers, now) -> [Again | None, ...]`` for a batch of its kind.
Handler = Callable[[Connection, Timer, datetime], Again | None]


@dataclass(frozen=True)
class _Completion:
    timer: Timer
    job: Job
    work: Any
    result: Any


class Job(Protocol):
    """Work with IO in the middle. ``prepare`` (in a read transaction) returns the work, or
    None when there is nothing to do; ``perform`` runs with no transaction open and must
    return within the lease; ``complete`` records the result in a write transaction. A job
    may also have ``from_hint(timer, now)``, making the work from a spawned timer's hint
    without a read (None: read after all)."""

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> Any | None: ...

    def perform(self, work: Any) -> Any: ...

    def complete(
        self, conn: Connection, timer: Timer, work: Any, result: Any, now: datetime
    ) -> Again | None: ...


class Runner:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        handlers: Mapping[str, Handler],
        *,
        jobs: Mapping[str, Job] | None = None,
        owner: str | None = None,
        lease: timedelta = timedelta(minutes=1),  # TOCSIN_ENGINE_LEASE
        batch: int = 50,
        max_attempts: int = 20,
        workers: int = 8,
    ) -> None:
        self.db = db
        self.clock = clock
        self.handlers = dict(handlers)
        self.jobs = dict(jobs or {})
        self.owner = owner or f"engine-{uuid.uuid4().hex[:12]}"
        self.lease = lease
        self.batch = batch
        self.max_attempts = max_attempts
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="engine-io")
        self._local = threading.local()
        self._completions: GroupCommit[_Completion, None] = GroupCommit(
            db, self._complete, name="engine-complete", durable=False
        )
        self._completions.start()
        self._in_flight: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, kind: str, work: Handler | Job) -> None:
        if callable(work):
            self.handlers[kind] = work
        else:
            self.jobs[kind] = work

    def spawn_many(
        self, conn: Connection, kind: str, items: Sequence[tuple[str, datetime, Any]]
    ) -> None:
        """``spawn`` for many new timers (key, due_at, hint) of one kind, in two statements."""
        now = self.clock.now()
        spawned: list[Timer] | None = getattr(self._local, "spawned", None)
        at_once = spawned is not None and kind in self.jobs
        now_items = [i for i in items if at_once and i[1] <= now]
        later = [(k, d) for k, d, _ in items if not (at_once and d <= now)]
        timer_store.create_many(conn, kind, later)
        if now_items and spawned is not None:
            created = timer_store.create_many(
                conn,
                kind,
                [(k, d) for k, d, _ in now_items],
                lease_owner=self.owner,
                lease_until=now + self.lease,
            )
            spawned.extend(
                replace(t, hint=hint) for t, (_, _, hint) in zip(created, now_items, strict=True)
            )

    def run_inline(
        self, conn: Connection, kind: str, keys: Sequence[str], now: datetime
    ) -> list[Timer]:
        """Run the due timers (kind, key for each of ``keys``) now, inside the caller's
        transaction (a savepoint: if it fails, they stay due for the engine). Returns the
        jobs they spawned; start them with ``start_spawned`` once the caller has committed."""
        if not keys:
            return []
        spawned: list[Timer] = []
        previous = getattr(self._local, "spawned", None)
        self._local.spawned = spawned
        try:
            with conn.begin_nested():
                claimed = timer_store.claim_keys(
                    conn, kind, keys, now=now, owner=self.owner, lease_until=now + self.lease
                )
                self._handle(conn, claimed, now)
            return spawned
        except Exception:
            log.exception("timers %s failed inline; the engine will retry them", kind)
            return []
        finally:
            self._local.spawned = previous

    def _handle(self, conn: Connection, claimed: Sequence[Timer], now: datetime) -> None:
        """Run claimed timers' handlers and settle them; a handler with ``run_many`` gets all
        of its kind at once (so it can read what they need in a few queries)."""
        by_kind: dict[str, list[Timer]] = {}
        for timer in claimed:
            by_kind.setdefault(timer.kind, []).append(timer)
        for kind, timers in by_kind.items():
            handler = self.handlers.get(kind)
            if handler is None:
                raise LookupError(f"no handler for timer kind {kind!r}")
            run_many = getattr(handler, "run_many", None)
            results = (
                run_many(conn, timers, now)
                if run_many is not None
                else [handler(conn, t, now) for t in timers]
            )
            timer_store.settle_many(
                conn,
                self.owner,
                [
                    (t, a.due_at if a else None)
                    for t, a in zip(timers, results, strict=True)
                    if a is None or a.payload is None
                ],
            )
            for timer, again in zip(timers, results, strict=True):
                if again is not None and again.payload is not None:
                    self._settle(conn, timer, again)

    def start_spawned(self, timers: list[Timer], claimed_at: datetime) -> None:
        for timer in timers:
            self._start_job(timer, claimed_at)

    def run_due(self, *, wait_io: bool = True) -> int:
        """Run every timer due now; return how many ran. With ``wait_io`` (tests), also wait
        for the jobs started and anything they made due."""
        ran = 0
        while True:
            while wait_io:  # jobs started elsewhere (at intake), and their completions
                with self._lock:
                    running = list(self._in_flight)
                if not running:
                    break
                wait(running)
            now = self.clock.now()
            count, spawned = self._run_handlers(now)
            started = [self._start_job(t, now) for t in spawned]
            io: list[Timer] = []
            free = self.workers - len(self._in_flight)
            if self.jobs and free > 0:
                with self.db.write(durable=False) as conn:
                    io = timer_store.claim_due(
                        conn,
                        now=now,
                        owner=self.owner,
                        lease_until=now + self.lease,
                        limit=free,
                        kinds=list(self.jobs),
                    )
            started += [self._start_job(t, now) for t in io]
            ran += count + len(io)
            if wait_io and started:
                wait(started)
                continue
            if not io and (count == 0 if wait_io else count < self.batch):
                return ran  # (tests: until nothing more is due now)

    def _run_handlers(self, now: datetime) -> tuple[int, list[Timer]]:
        """Claim due handler timers and run them, all in one transaction; if one fails, each
        runs on its own, so one failure stays one. Returns how many, and the jobs spawned."""
        spawned: list[Timer] = []
        self._local.spawned = spawned
        try:
            with self.db.write(durable=False) as conn:
                claimed = self._claim_handlers(conn, now)
                self._handle(conn, claimed, now)
            return len(claimed), spawned
        except Exception:
            log.debug("a batch of timers failed; running them one by one", exc_info=True)
        finally:
            self._local.spawned = None
        with self.db.write(durable=False) as conn:
            claimed = self._claim_handlers(conn, now)
        for timer in claimed:
            spawned += self._run_one(timer)
        return len(claimed), spawned

    def _claim_handlers(self, conn: Connection, now: datetime) -> list[Timer]:
        return timer_store.claim_due(
            conn,
            now=now,
            owner=self.owner,
            lease_until=now + self.lease,
            limit=self.batch,
            exclude=list(self.jobs),
        )

    def _settle(self, conn: Connection, timer: Timer, again: Again | None) -> None:
        if again is None:
            kept = timer_store.finish(conn, timer, self.owner)
        else:
            kept = timer_store.release(
                conn, timer, self.owner, due_at=again.due_at, attempts=0, payload=again.payload
            )
        if not kept and timer_store.exists(conn, timer.id):
            # Its lease ran out first (a send slower than the lease, or clocks apart between
            # nodes), or it was moved meanwhile: another engine may run it too.
            log.warning("timer %s/%s was no longer this engine's to settle", timer.kind, timer.key)

    def _run_one(self, timer: Timer) -> list[Timer]:
        handler = self.handlers.get(timer.kind)
        now = self.clock.now()
        spawned: list[Timer] = []
        self._local.spawned = spawned
        try:
            if handler is None:
                raise LookupError(f"no handler for timer kind {timer.kind!r}")
            with self.db.write(durable=False) as conn:
                # Held while it runs, as in a batch (claimed and run in one transaction):
                # whoever would move it waits until it is settled.
                timer_store.lock_keys(conn, [timer.kind], timer.key)
                self._settle(conn, timer, handler(conn, timer, now))
            return spawned
        except Exception as exc:
            self._failed(timer, exc, now)
            return []
        finally:
            self._local.spawned = None

    def _start_job(self, timer: Timer, claimed_at: datetime) -> Future[None]:
        future = self._pool.submit(self._run_job, timer, claimed_at)
        with self._lock:
            self._in_flight.add(future)
        future.add_done_callback(self._job_done)
        return future

    def _job_done(self, future: Future[None]) -> None:
        with self._lock:
            self._in_flight.discard(future)
        self._wake.set()  # a slot is free; what it made due may run now

    def _run_job(self, timer: Timer, claimed_at: datetime) -> None:
        job = self.jobs[timer.kind]
        now = self.clock.now()
        if now >= claimed_at + self.lease / 2:
            # Waited too long for a worker: the lease may lapse mid-send and another engine
            # send it too. Give it back untouched, for any engine to claim with a new lease.
            log.warning(
                "timer %s/%s waited %s for a worker", timer.kind, timer.key, now - claimed_at
            )
            with self.db.write(durable=False) as conn:
                timer_store.release(
                    conn, timer, self.owner, due_at=timer.due_at, attempts=timer.attempts
                )
            return
        try:
            from_hint = getattr(job, "from_hint", None)
            work = from_hint(timer, now) if from_hint and timer.hint is not None else None
            if work is None:
                with self.db.read() as conn:
                    work = job.prepare(conn, timer, now)
            if work is None:
                with self.db.write(durable=False) as conn:
                    timer_store.finish(conn, timer, self.owner)
                return
            result = job.perform(work)
        except Exception as exc:
            self._failed(timer, exc, self.clock.now())
            return
        # The worker moves on; the result is recorded with others in one transaction.
        # Until then the completion counts as in flight (``run_due`` waits for it).
        done = self._completions.submit_future(_Completion(timer, job, work, result))
        with self._lock:
            self._in_flight.add(done)
        done.add_done_callback(lambda f: self._completed(f, timer))

    def _completed(self, future: Future[None], timer: Timer) -> None:
        exc = future.exception()
        if exc is not None:
            self._failed(
                timer, exc if isinstance(exc, Exception) else RuntimeError(exc), self.clock.now()
            )
        self._job_done(future)

    def _complete(self, conn: Connection, batch: Sequence[_Completion]) -> list[None]:
        """Record finished jobs, many per transaction (one fsync for a burst of sends)."""
        now = self.clock.now()
        for c in batch:
            self._settle(conn, c.timer, c.job.complete(conn, c.timer, c.work, c.result, now))
        return [None] * len(batch)

    def _failed(self, timer: Timer, exc: Exception, now: datetime) -> None:
        attempts = timer.attempts + 1
        log.exception("timer %s/%s failed (attempt %d)", timer.kind, timer.key, attempts)
        if attempts >= self.max_attempts:
            # Never dropped: it keeps retrying at the backoff cap, and says so.
            log.error("timer %s/%s has failed %d times", timer.kind, timer.key, attempts)
        with self.db.write(durable=False) as conn:
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
        self._pool.shutdown(wait=True)
        self._completions.stop()
        try:  # what it claimed and did not run: the other engines take it now
            with self.db.write() as conn:
                released = timer_store.release_held(conn, self.owner)
            if released:
                log.info("gave back %d timers on stopping", released)
        except Exception:  # the database is away: the leases run out instead
            log.exception("could not give back the timers this engine holds")

    def _loop(self, poll: float) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            timeout = poll
            try:
                self.run_due(wait_io=False)
                with self.db.read() as conn:
                    due = timer_store.next_due_at(conn)
                busy = len(self._in_flight) >= self.workers  # a finishing job wakes us
                if due is not None and not busy:
                    timeout = min(poll, max(0.0, (due - self.clock.now()).total_seconds()))
            except Exception:
                log.exception("engine pass failed")
            self._wake.wait(timeout)
