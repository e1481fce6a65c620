"""Creating, updating, expiring and listing silences, as Alertmanager's API does."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.domain.matchers import Matcher
from tocsin.domain.silences import Silence, Silencer, SilenceState, silence_problems
from tocsin.domain.time_intervals import TimeInterval
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound
from tocsin.store import audit
from tocsin.store import silences as store
from tocsin.store import timers as timer_store
from tocsin.store.database import Database

__all__ = ["REMINDER", "SilenceService"]

#: The timer that reminds a silence's creator before it ends; its key is the silence id.
REMINDER = "silence.reminder"


class SilenceService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        reminder_lead: Callable[[], timedelta | None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        #: How long before a silence ends its creator is reminded (None: no reminders).
        self.reminder_lead = reminder_lead

    def _remind(self, conn: Connection, silence_id: str, ends_at: datetime, now: datetime) -> None:
        lead = self.reminder_lead()
        if lead is None:
            return
        timer_store.schedule(conn, REMINDER, silence_id, max(now, ends_at - lead))

    def save(
        self,
        matchers: tuple[Matcher, ...],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
        silence_id: str | None = None,
        recurrence: TimeInterval | None = None,
    ) -> str:
        """Create a silence, or update the one named ``silence_id``; return the id in effect.

        As in Alertmanager: a start in the past means now; an end in the past is refused;
        an update that changes the matchers or moves an active silence's start expires the old
        silence and creates a new one (new id); an expired silence is never revived.
        """
        now = self.clock.now()
        problems = [FieldProblem(f, p) for f, p in silence_problems(matchers, starts_at, ends_at)]
        if ends_at <= now:
            problems.append(FieldProblem("endsAt", "must be in the future"))
        if not created_by.strip():
            problems.append(FieldProblem("createdBy", "is required"))
        if problems:
            raise InputError(problems)
        starts_at = max(starts_at, now)
        new = Silence(
            str(uuid.uuid4()),
            matchers,
            starts_at,
            ends_at,
            created_by,
            comment,
            now,
            recurrence,
        )
        with self.db.write() as conn:
            old = store.by_id(conn, silence_id) if silence_id else None
            if silence_id and old is None:
                raise NotFound(f"silence {silence_id} not found")
            if old is not None and old.state(now) is not SilenceState.EXPIRED:
                in_place = (
                    old.matchers == matchers
                    and old.recurrence == recurrence
                    and (
                        old.state(now) is SilenceState.PENDING or old.starts_at <= starts_at <= now
                    )
                )
                if in_place:
                    store.set_ends_at(
                        conn,
                        old.id,
                        ends_at,
                        now,
                        starts_at=old.starts_at if old.starts_at <= now else starts_at,
                        comment=comment,
                        created_by=created_by,
                    )
                    self._remind(conn, old.id, ends_at, now)
                    audit.record_change(
                        conn,
                        now,
                        "silence.updated",
                        "silence",
                        old.id,
                        old,
                        store.by_id(conn, old.id),
                        fallback=created_by,
                    )
                    return old.id
                self._expire(conn, old, now)
            store.insert_silence(conn, new)
            self._remind(conn, new.id, ends_at, now)
            # Changed matchers (or a moved start) make a new silence in place of the old.
            replaced = {"replaces": old.id} if old is not None else {}
            audit.record(
                conn,
                now,
                "silence.updated" if replaced else "silence.created",
                "silence",
                new.id,
                before=audit.snapshot(old) if old is not None else None,
                after={**audit.snapshot(new), **replaced},
                fallback=created_by,
            )
        return new.id

    def expire(self, silence_id: str) -> None:
        now = self.clock.now()
        with self.db.write() as conn:
            silence = store.by_id(conn, silence_id)
            if silence is None:
                raise NotFound(f"silence {silence_id} not found")
            if silence.state(now) is SilenceState.EXPIRED:
                raise Conflict(f"silence {silence_id} already expired")
            self._expire(conn, silence, now)
            audit.record_change(
                conn,
                now,
                "silence.expired",
                "silence",
                silence_id,
                silence,
                store.by_id(conn, silence_id),
            )

    @staticmethod
    def _expire(conn: Connection, silence: Silence, now: datetime) -> None:
        # A pending silence that is expired never starts: both ends become now.
        timer_store.cancel(conn, REMINDER, silence.id)
        if silence.state(now) is SilenceState.PENDING:
            store.set_ends_at(conn, silence.id, now, now, starts_at=now)
        else:
            store.set_ends_at(conn, silence.id, now, now)

    def get(self, silence_id: str) -> Silence:
        with self.db.read() as conn:
            silence = store.by_id(conn, silence_id)
        if silence is None:
            raise NotFound(f"silence {silence_id} not found")
        return silence

    def all(self) -> list[Silence]:
        with self.db.read() as conn:
            return store.all_silences(conn)

    def silencer(self) -> Silencer:
        """The silences that may mute something now or later (not the expired ones)."""
        with self.db.read() as conn:
            return Silencer(store.active_or_pending(conn, self.clock.now()))

    def with_state(self, silences: list[Silence]) -> list[tuple[Silence, SilenceState]]:
        now = self.clock.now()
        return [(s, s.state(now)) for s in silences]
