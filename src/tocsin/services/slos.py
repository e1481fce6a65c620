"""SLOs as the API, the CLI and the web read them: events posted for built-in SLIs, and each
SLO's standing now (SLI, budget remaining, burn rate per alert window, time to exhaustion)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.config.compile import RoutingConfig
from tocsin.domain.slo import (
    BurnWindow,
    Counts,
    Objective,
    Severity,
    burn_rate,
    error_ratio,
    firing,
    time_to_exhaust,
)
from tocsin.domain.slo_gate import GateAnswer, GateException, burning_pages, decide
from tocsin.domain.slo_specs import BuiltinSli, SloSpec
from tocsin.engine.clock import Clock
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound
from tocsin.store import alerts as alert_store
from tocsin.store import slo_events
from tocsin.store import slo_gate as gate_store
from tocsin.store.database import Database

__all__ = ["ReleaseGate", "SloService", "SloStatus", "WindowBurn"]

#: How far back events may be dated (older ones could not change any alert or the period's
#: standing by surprise), and how far ahead (clock skew).
LATE = timedelta(days=31)
EARLY = timedelta(minutes=5)


@dataclass(frozen=True)
class WindowBurn:
    window: BurnWindow
    #: The burn rate over the short and the long window (None: no events).
    short: float | None
    long: float | None


@dataclass(frozen=True)
class SloStatus:
    spec: SloSpec
    objective: Objective
    start: datetime
    end: datetime
    #: Over the period so far.
    counts: Counts
    sli: float | None
    budget_remaining: float
    budget_remaining_time: timedelta
    #: The burn rate over the last hour, and when the budget left runs out at it.
    burn_rate: float | None
    exhausted_in: timedelta | None
    windows: tuple[WindowBurn, ...]
    firing: frozenset[Severity]


class SloService:
    def __init__(
        self, db: Database, clock: Clock, config: Callable[[], RoutingConfig | None]
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config

    def specs(self) -> list[SloSpec]:
        config = self.config()
        return list(config.slos.values()) if config is not None else []

    def spec(self, slo_id: str) -> SloSpec:
        config = self.config()
        spec = config.slos.get(slo_id) if config is not None else None
        if spec is None:
            raise NotFound(f"no SLO {slo_id!r}")
        return spec

    def record(
        self, slo_id: str, good: float, total: float, at: datetime | None = None
    ) -> datetime:
        """Add good and total events (to the minute of ``at``, default now); the minute."""
        spec = self.spec(slo_id)
        if not isinstance(spec.sli, BuiltinSli):
            raise InputError(
                FieldProblem("slo", f"SLO {slo_id!r} reads Prometheus, not posted events")
            )
        for name, value in (("good", good), ("total", total)):
            if not math.isfinite(value) or value < 0:
                raise InputError(FieldProblem(name, "must be a number of events, 0 or more"))
        if good > total:
            raise InputError(FieldProblem("good", "must not be more than total"))
        now = self.clock.now()
        when = at or now
        if when.tzinfo is None:
            raise InputError(FieldProblem("at", "must have a time zone (e.g. Z)"))
        if not now - LATE <= when <= now + EARLY:
            raise InputError(FieldProblem("at", "must be within the last 31 days"))
        minute = when.replace(second=0, microsecond=0)
        with self.db.write() as conn:
            slo_events.add(conn, spec.id, minute, good, total)
        return minute

    def status(self, slo_id: str) -> SloStatus:
        """Where a built-in SLO stands now (Prometheus SLOs are read from Prometheus)."""
        spec = self.spec(slo_id)
        now = self.clock.now()
        objective = spec.objective(now)
        start, end = spec.window.span(now)
        # The minute being written counts too (a rolling window ends now).
        until = now + timedelta(minutes=1)
        if spec.window.calendar_month:
            until = min(end, until)
        with self.db.read() as conn:
            period = slo_events.counts(conn, spec.id, start, until)

            def ratio_over(window: timedelta) -> float | None:
                return error_ratio(slo_events.counts(conn, spec.id, now - window, now))

            burns = tuple(
                WindowBurn(
                    w,
                    burn_rate(ratio_over(w.short), objective),
                    burn_rate(ratio_over(w.long), objective),
                )
                for w in spec.windows()
            )
            fired = firing(spec.windows(), objective, ratio_over)
            hour = burn_rate(ratio_over(timedelta(hours=1)), objective)
        ratio = error_ratio(period)
        remaining = objective.remaining(ratio)
        exhausted: timedelta | None = timedelta(0)  # spent already
        if remaining > 0:
            full = time_to_exhaust(hour, objective.period) if hour is not None else None
            exhausted = full * remaining if full is not None else None
        return SloStatus(
            spec=spec,
            objective=objective,
            start=start,
            end=end,
            counts=period,
            sli=objective.sli(ratio),
            budget_remaining=remaining,
            budget_remaining_time=objective.remaining_time(ratio),
            burn_rate=hour,
            exhausted_in=exhausted,
            windows=burns,
            firing=frozenset(fired),
        )


#: How long an exception to the release gate may last.
MAX_EXCEPTION = timedelta(days=7)


class ReleaseGate:
    """The error-budget policy for releases (``domain/slo_gate``)."""

    def __init__(self, db: Database, clock: Clock, slos: SloService) -> None:
        self.db = db
        self.clock = clock
        self.slos = slos

    def _service(self, service: str) -> list[SloSpec]:
        specs = [s for s in self.slos.specs() if s.service == service]
        if not specs:
            raise NotFound(f"no SLO has the service {service!r}")
        return specs

    def check(self, service: str) -> GateAnswer:
        specs = self._service(service)
        budgets = {
            s.id: self.slos.status(s.id).budget_remaining
            for s in specs
            if isinstance(s.sli, BuiltinSli)
        }
        now = self.clock.now()
        with self.db.read() as conn:
            firing_now = [
                dict(a.labels)
                for a in alert_store.list_heads(conn, open_at=now)
                if "slo_severity" in a.labels or "sloth_severity" in a.labels
            ]
            granted = gate_store.listing(conn, service, open_at=now)
        return decide(service, budgets, burning_pages(service, firing_now), granted, now)

    def grant(self, service: str, reason: str, length: timedelta, actor: str) -> GateException:
        """Open the gate for a while, saying why (kept, with who, as the audit trail)."""
        self._service(service)
        if not reason.strip():
            raise InputError(FieldProblem("reason", "say why the gate may open"))
        if not timedelta(minutes=1) <= length <= MAX_EXCEPTION:
            raise InputError(FieldProblem("expires_in", "must be between 1m and 7d"))
        now = self.clock.now()
        with self.db.write() as conn:
            made = gate_store.create(conn, service, reason.strip()[:2000], actor, now, now + length)
            found = gate_store.get(conn, made)
        assert found is not None
        return found

    def revoke(self, exception_id: int, actor: str) -> GateException:
        now = self.clock.now()
        with self.db.write() as conn:
            found = gate_store.get(conn, exception_id)
            if found is None:
                raise NotFound(f"no gate exception {exception_id}")
            if not gate_store.revoke(conn, exception_id, actor, now):
                raise Conflict(f"gate exception {exception_id} has ended already")
            done = gate_store.get(conn, exception_id)
        assert done is not None
        return done

    def exceptions(self, service: str | None = None) -> list[GateException]:
        with self.db.read() as conn:
            return gate_store.listing(conn, service)
