"""On-call schedules as the API and CLI use them: who is on call, shifts, gaps and hours;
overrides and shift swaps (stored), and each person's calendar token.

A schedule is defined in tocsin.yaml; overrides made here are stored and sit above the
file's own (the later-created one wins where two overlap).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.coverage import Gap, gaps, hours_on_call
from tocsin.domain.schedules import Schedule, Shift, oncall_at, shifts
from tocsin.domain.users import reading_zone
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound
from tocsin.notify import oncall_texts
from tocsin.notify.messages import post
from tocsin.services.integrations import hash_token, new_token
from tocsin.store import audit, user_tokens
from tocsin.store import overrides as override_store
from tocsin.store import swaps as swap_store
from tocsin.store.database import Database
from tocsin.store.overrides import StoredOverride, effective_schedules
from tocsin.store.swaps import Swap

__all__ = ["MAX_RANGE", "ScheduleService"]

#: The longest period one query covers.
MAX_RANGE = timedelta(days=366)


def _range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise InputError(FieldProblem("to", "must be after from"))
    if end - start > MAX_RANGE:
        raise InputError(FieldProblem("to", "the period may be at most 366 days"))


class ScheduleService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: Callable[[], RoutingConfig | None],
        changed: Callable[[Connection, datetime], None] = lambda conn, now: None,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        #: Called in the transaction of a change (the engine re-plans handoffs).
        self.changed = changed
        self.wake = wake

    # -- reading -------------------------------------------------------------------------

    def _config(self) -> RoutingConfig:
        config = self.config()
        if config is None:
            raise NotFound("no schedules: start Tocsin with a configuration (--config)")
        return config

    def _check(self, config: RoutingConfig, name: str) -> None:
        if name not in config.schedules:
            known = ", ".join(sorted(config.schedules)) or "none are configured"
            raise NotFound(f"no schedule {name!r} (known: {known})")

    def schedule(self, name: str) -> Schedule:
        config = self._config()
        self._check(config, name)
        with self.db.read() as conn:
            return effective_schedules(conn, config, [name])[name]

    def all(self, *, from_: datetime | None = None) -> dict[str, Schedule]:
        """Every schedule; with ``from_``, good for questions about ``from_`` or later."""
        config = self.config()
        if config is None:
            return {}
        with self.db.read() as conn:
            return effective_schedules(conn, config, ending_after=from_)

    def oncall(self, name: str, at: datetime | None = None) -> str | None:
        return oncall_at(self.schedule(name), at or self.clock.now())

    def shifts(self, name: str, start: datetime, end: datetime) -> list[Shift]:
        _range(start, end)
        return shifts(self.schedule(name), start, end)

    def gaps(self, name: str, start: datetime, end: datetime) -> list[Gap]:
        _range(start, end)
        return gaps(self.schedule(name), start, end)

    def hours(
        self, start: datetime, end: datetime, names: list[str] | None = None
    ) -> dict[str, dict[str, timedelta]]:
        """Hours on call per schedule and person over [start, end)."""
        _range(start, end)
        found = self.all(from_=start)
        for name in names or ():
            self._check(self._config(), name)
        return {
            name: hours_on_call(shifts(s, start, end))
            for name, s in sorted(found.items())
            if names is None or name in names
        }

    # -- overrides -----------------------------------------------------------------------

    def _user(self, config: RoutingConfig, user: str, field: str) -> None:
        if user not in config.users:
            raise InputError(FieldProblem(field, f"unknown user {user!r}"))

    def add_override(
        self,
        name: str,
        user: str,
        start: datetime,
        end: datetime,
        created_by: str,
        note: str = "",
    ) -> StoredOverride:
        config = self._config()
        self._check(config, name)
        problems = []
        if user not in config.users:
            problems.append(FieldProblem("user", f"unknown user {user!r}"))
        if end <= start:
            problems.append(FieldProblem("end", "must be after start"))
        now = self.clock.now()
        if end <= now:
            problems.append(FieldProblem("end", "must be in the future"))
        if not created_by.strip():
            problems.append(FieldProblem("createdBy", "is required"))
        if problems:
            raise InputError(problems)
        with self.db.write() as conn:
            created = override_store.insert_override(
                conn, StoredOverride(0, name, user, start, end, now, created_by.strip(), note)
            )
            audit.record(
                conn,
                now,
                "override.created",
                "override",
                created.id,
                after=created,
                fallback=created_by.strip(),
            )
            self.changed(conn, now)
        self.wake()
        return created

    def overrides(self, name: str, *, current: bool = True) -> list[StoredOverride]:
        """The stored overrides of a schedule (only those not yet over, if ``current``)."""
        self._check(self._config(), name)
        with self.db.read() as conn:
            return override_store.for_schedules(
                conn, [name], ending_after=self.clock.now() if current else None
            )

    def override(self, override_id: int) -> StoredOverride:
        with self.db.read() as conn:
            found = override_store.by_id(conn, override_id)
        if found is None:
            raise NotFound(f"override {override_id} not found")
        return found

    def remove_override(self, override_id: int) -> StoredOverride:
        now = self.clock.now()
        with self.db.write() as conn:
            found = override_store.by_id(conn, override_id)
            if found is None:
                raise NotFound(f"override {override_id} not found")
            override_store.remove(conn, override_id)
            audit.record(conn, now, "override.removed", "override", override_id, before=found)
            self.changed(conn, now)
        self.wake()
        return found

    # -- shift swaps ---------------------------------------------------------------------

    def offer_swap(
        self,
        name: str,
        user: str,
        start: datetime,
        end: datetime,
        *,
        to: str | None = None,
        note: str = "",
    ) -> Swap:
        """``user`` offers the part [start, end) of their shifts; it must be theirs."""
        config = self._config()
        self._check(config, name)
        self._user(config, user, "user")
        if to is not None:
            self._user(config, to, "to")
            if to == user:
                raise InputError(FieldProblem("to", "cannot offer a shift to oneself"))
        if end <= start:
            raise InputError(FieldProblem("end", "must be after start"))
        now = self.clock.now()
        if end <= now:
            raise InputError(FieldProblem("end", "must be in the future"))
        with self.db.write() as conn:
            schedule = effective_schedules(conn, config, [name])[name]
            theirs = shifts(schedule, start, end)
            if theirs != [Shift(user, start, end)]:
                raise InputError(
                    FieldProblem("start", f"{user} is not on call for all of {name} in that time")
                )
            swap = Swap(str(uuid.uuid4()), name, user, start, end, now, offered_to=to, note=note)
            swap_store.insert_swap(conn, swap)
            audit.record(conn, now, "swap.offered", "swap", swap.id, after=swap, fallback=user)
            if to is not None:
                zone = reading_zone(config.users, to, schedule.zone)
                subject, body = oncall_texts.swap_offered(
                    name, user, start, end, zone, swap.id, note
                )
                post(
                    conn,
                    config.users,
                    user=to,
                    kind="swap-offered",
                    subject=subject,
                    body=body,
                    dedup=f"swap-offered:{swap.id}",
                    now=now,
                )
        self.wake()
        return swap

    def take_swap(self, swap_id: str, user: str) -> Swap:
        """``user`` takes an open swap: it becomes an override; both people are told."""
        config = self._config()
        self._user(config, user, "user")
        now = self.clock.now()
        with self.db.write() as conn:
            swap = swap_store.by_id(conn, swap_id)
            if swap is None:
                raise NotFound(f"swap {swap_id} not found")
            if swap.status != swap_store.OPEN:
                raise Conflict(f"swap {swap_id} is {swap.status}")
            if user == swap.offered_by:
                raise InputError(FieldProblem("user", "cannot take one's own offer"))
            if swap.offered_to is not None and user != swap.offered_to:
                raise Conflict(f"swap {swap_id} is offered to {swap.offered_to} only")
            if swap.end <= now:
                raise Conflict(f"swap {swap_id} has passed")
            self._check(config, swap.schedule)
            override = StoredOverride(
                0,
                swap.schedule,
                user,
                max(swap.start, now),
                swap.end,
                now,
                user,
                f"swap {swap.id} from {swap.offered_by}",
                swap.id,
            )
            override = override_store.insert_override(conn, override)
            if not swap_store.set_status(
                conn,
                swap.id,
                swap_store.OPEN,
                status=swap_store.TAKEN,
                taken_by=user,
                taken_at=now,
                override_id=override.id,
            ):
                raise Conflict(f"swap {swap_id} was just taken or withdrawn")
            zone_of = config.schedules[swap.schedule].zone
            for person in (swap.offered_by, user):
                subject, body = oncall_texts.swap_taken(
                    swap.schedule,
                    swap.offered_by,
                    user,
                    override.start,
                    swap.end,
                    reading_zone(config.users, person, zone_of),
                )
                post(
                    conn,
                    config.users,
                    user=person,
                    kind="swap-taken",
                    subject=subject,
                    body=body,
                    dedup=f"swap-taken:{swap.id}:{person}",
                    now=now,
                )
            self.changed(conn, now)
            taken = swap_store.by_id(conn, swap.id)
            audit.record_change(
                conn, now, "swap.taken", "swap", swap.id, swap, taken, fallback=user
            )
        self.wake()
        assert taken is not None
        return taken

    def withdraw_swap(self, swap_id: str) -> Swap:
        with self.db.write() as conn:
            swap = swap_store.by_id(conn, swap_id)
            if swap is None:
                raise NotFound(f"swap {swap_id} not found")
            if not swap_store.set_status(
                conn, swap_id, swap_store.OPEN, status=swap_store.WITHDRAWN
            ):
                raise Conflict(f"swap {swap_id} is {swap.status}")
            withdrawn = swap_store.by_id(conn, swap_id)
            audit.record_change(
                conn, self.clock.now(), "swap.withdrawn", "swap", swap_id, swap, withdrawn
            )
        assert withdrawn is not None
        return withdrawn

    def swaps(self, name: str | None = None, status: str | None = None) -> list[Swap]:
        with self.db.read() as conn:
            return swap_store.listed(conn, name, status)

    # -- calendar tokens -----------------------------------------------------------------

    def new_calendar_token(self, user: str) -> str:
        """A new secret for ``user``'s calendar feed; the old one stops working."""
        self._user(self._config(), user, "user")
        token = new_token()
        with self.db.write() as conn:
            user_tokens.replace_token(conn, user, hash_token(token), self.clock.now())
            audit.record(
                conn,
                self.clock.now(),
                "calendar_token.rotated",
                "user",
                user,
                after={"calendar_token": audit.SECRET},
                fallback=user,
            )
        return token

    def calendar_owner(self, token: str | None) -> str:
        """The person whose calendar ``token`` is; NotFound otherwise (it says nothing more)."""
        if token:
            with self.db.read() as conn:
                owner = user_tokens.user_for(conn, hash_token(token))
            config = self.config()
            if owner is not None and config is not None and owner in config.users:
                return owner
        raise NotFound("no such calendar")
