"""Group commit: many concurrent requests' writes committed in one transaction.

Callers ``await submit(item)``; one writer thread drains whatever has queued up, applies the
whole batch in a single transaction and commits once, then answers every caller. While a
commit (and its fsync) is in flight the next batch accumulates, so throughput grows with load
while each caller still gets its answer only after its data is durable.

If a batch fails, each item is retried alone, so one bad item fails only its own caller; an
item whose write collided with another node's (PostgreSQL: a unique key both inserted, a
deadlock) is run again, up to three times.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

from sqlalchemy import Connection

from tocsin.store.database import Database

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

ApplyBatch = Callable[[Connection, Sequence[T]], list[R]]
CommitObserver = Callable[[float, int], None]
_STOP = object()
#: PostgreSQL's unique_violation, serialization_failure and deadlock_detected: a write that
#: collided with a concurrent one (on another node), worth running again.
_COLLISIONS = frozenset({"23505", "40001", "40P01"})
_ATTEMPTS = 3


def _collided(exc: Exception) -> bool:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in _COLLISIONS


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        db: Database,
        apply: ApplyBatch[T, R],
        *,
        max_batch: int = 512,
        on_commit: CommitObserver | None = None,
        name: str = "group-commit",
        durable: bool = True,
    ) -> None:
        self._db = db
        self._apply = apply
        self._max_batch = max_batch
        self._on_commit = on_commit
        self._durable = durable
        self._queue: queue.SimpleQueue[tuple[T, Future[R]] | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    def stop(self) -> None:
        if self._started:
            self._queue.put(_STOP)
            self._thread.join()
            self._started = False

    def submit_future(self, item: T) -> Future[R]:
        if not self._started:
            raise RuntimeError("group commit is not running")
        future: Future[R] = Future()
        self._queue.put((item, future))
        return future

    async def submit(self, item: T) -> R:
        """Queue ``item``; return its result once the transaction holding it has committed."""
        return await asyncio.wrap_future(self.submit_future(item))

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)  # type: ignore[arg-type]
            if stop:
                return

    def _commit(self, batch: list[tuple[T, Future[R]]], attempt: int = 1) -> None:
        items = [item for item, _ in batch]
        started = time.perf_counter()
        try:
            with self._db.write(durable=self._durable) as conn:
                results = self._apply(conn, items)
        except Exception as exc:
            if len(batch) == 1:
                if attempt < _ATTEMPTS and _collided(exc):
                    # Another node wrote the same rows at the same moment (the same alert
                    # from both of an HA pair): run it again, it now sees what they wrote.
                    log.info("a write collided with another node's (%s); running it again", exc)
                    self._commit(batch, attempt + 1)
                    return
                batch[0][1].set_exception(exc)
                return
            log.warning("batch of %d failed (%s); retrying one by one", len(batch), exc)
            for one in batch:
                self._commit([one])
            return
        if self._on_commit is not None:
            self._on_commit(time.perf_counter() - started, len(batch))
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)
