"""SLOs as the API, the CLI and the web read them: events posted for built-in SLIs, each
SLO's standing now (SLI, budget remaining, burn rate per alert window, time to exhaustion),
its burn-down over the period, and the budget a span of time (an incident) consumed.

Built-in SLIs are read from the database, Prometheus SLIs from Prometheus
(``prometheus:`` in tocsin.yaml); an SLO budgeted by timeslices counts slices. When
Prometheus cannot answer, ``Unavailable`` says why (503 in the API)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.config.compile import RoutingConfig
from tocsin.domain.slo import (
    BurnWindow,
    Counts,
    Objective,
    Severity,
    burn_rate,
    consumed_in,
    error_ratio,
    firing,
    time_to_exhaust,
)
from tocsin.domain.slo_specs import BuiltinSli, PrometheusSource, SloSpec
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError, NotFound, Unavailable
from tocsin.integrations.prometheus_api import PrometheusApi
from tocsin.integrations.prometheus_sli import PrometheusSliReader
from tocsin.store import slo_events
from tocsin.store.database import Database
from tocsin.store.slo_readings import EventsReader, SliReader, ratios, reader_for

__all__ = ["BurnDown", "Burned", "SloService", "SloStatus", "WindowBurn"]

#: How far back events may be dated (older ones could not change any alert or the period's
#: standing by surprise), and how far ahead (clock skew).
LATE = timedelta(days=31)
EARLY = timedelta(minutes=5)
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class WindowBurn:
    window: BurnWindow
    #: The burn rate over the short and the long window (None: no events).
    short: float | None
    long: float | None
    #: Whether this window's condition holds now (both burn strictly faster than its factor).
    fires: bool


@dataclass(frozen=True)
class SloStatus:
    spec: SloSpec
    objective: Objective
    start: datetime
    end: datetime
    #: Over the period so far (slices, for timeslice budgeting).
    counts: Counts
    sli: float | None
    budget_remaining: float
    budget_remaining_time: timedelta
    #: The burn rate over the last hour, and when the budget left runs out at it.
    burn_rate: float | None
    exhausted_in: timedelta | None
    windows: tuple[WindowBurn, ...]
    firing: frozenset[Severity]


@dataclass(frozen=True)
class BurnDown:
    """The budget left through the period: at each time, 1 - (errors since the period's
    start / all events of the period so far) / b. It ends at the status' budget left."""

    start: datetime
    end: datetime
    now: datetime
    points: tuple[tuple[datetime, float], ...]


@dataclass(frozen=True)
class Burned:
    """What a span of time (an incident) did to an SLO: its events, the burn rate over the
    span, and the share of the period's budget that burn consumed (r x W / P)."""

    spec: SloSpec
    counts: Counts
    burn_rate: float | None
    consumed: float


class SloService:
    def __init__(
        self, db: Database, clock: Clock, config: Callable[[], RoutingConfig | None]
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self._prometheus: dict[PrometheusSource, PrometheusSliReader] = {}

    def specs(self) -> list[SloSpec]:
        config = self.config()
        return list(config.slos.values()) if config is not None else []

    def spec(self, slo_id: str) -> SloSpec:
        config = self.config()
        spec = config.slos.get(slo_id) if config is not None else None
        if spec is None:
            raise NotFound(f"no SLO {slo_id!r}")
        return spec

    def prometheus(self) -> PrometheusSliReader:
        """The reader of Prometheus SLIs (Unavailable without ``prometheus:``)."""
        config = self.config()
        source = config.prometheus if config is not None else None
        if source is None:
            raise Unavailable("this SLO is read from Prometheus: set prometheus.url in tocsin.yaml")
        if source not in self._prometheus:
            self._prometheus[source] = PrometheusSliReader(
                PrometheusApi(source.url, timeout=source.timeout)
            )
        return self._prometheus[source]

    def close(self) -> None:
        for reader in self._prometheus.values():
            reader.api.close()

    @contextmanager
    def reading(self, spec: SloSpec) -> Iterator[SliReader]:
        """The reader of the SLO's budget (events or timeslices)."""
        if isinstance(spec.sli, BuiltinSli):
            with self.db.read() as conn:
                yield reader_for(spec, EventsReader(conn))
        else:
            yield reader_for(spec, self.prometheus())

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

    def _period(self, spec: SloSpec, now: datetime) -> tuple[datetime, datetime, datetime]:
        """(start, end, until): the period, and where its events so far end. Built-in
        events of the minute being written count too (a rolling window ends now), except
        in timeslices, where a slice counts once it is whole."""
        start, end = spec.window.span(now)
        current = isinstance(spec.sli, BuiltinSli) and spec.budgeting is None
        until = now + MINUTE if current else now
        return start, end, min(end, until) if spec.window.calendar_month else until

    def status(self, slo_id: str) -> SloStatus:
        """Where an SLO stands now."""
        spec = self.spec(slo_id)
        now = self.clock.now()
        objective = spec.objective(now)
        start, end, until = self._period(spec, now)
        with self.reading(spec) as reader:
            period = reader.counts(spec, start, until)
            ratio_over = ratios(reader, spec, now)
            burns = tuple(
                WindowBurn(
                    w,
                    burn_rate(ratio_over(w.short), objective),
                    burn_rate(ratio_over(w.long), objective),
                    bool(firing([w], objective, ratio_over)),
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

    def burn_down(self, slo_id: str, points: int = 120) -> BurnDown:
        """The budget left at ``points`` even steps through the period, up to now."""
        spec = self.spec(slo_id)
        now = self.clock.now()
        objective = spec.objective(now)
        start, end, until = self._period(spec, now)
        unit = spec.budgeting.slice if spec.budgeting is not None else MINUTE
        step = max(unit, -(-(end - start) // (unit * max(1, points))) * unit)
        with self.reading(spec) as reader:
            steps = reader.series(spec, start, until, step)
        total = Counts.sum(steps).total
        out: list[tuple[datetime, float]] = [(start, 1.0)]
        bad = 0.0
        for i, counts in enumerate(steps):
            bad += counts.bad
            # The minute being written (past a rolling period's end) joins the last step.
            at = min(until, end, start + step * (i + 1))
            if out[-1][0] == at:
                out.pop()
            out.append((at, objective.remaining(bad / total if total > 0 else None)))
        return BurnDown(start, end, now, tuple(out))

    def during(self, slo_id: str, start: datetime, end: datetime) -> Burned:
        """What [start, end) did to the SLO's budget."""
        spec = self.spec(slo_id)
        objective = spec.objective(end)
        with self.reading(spec) as reader:
            counts = reader.counts(spec, start, end)
        rate = burn_rate(error_ratio(counts), objective)
        consumed = consumed_in(rate, end - start, objective.period) if rate is not None else 0.0
        return Burned(spec, counts, rate, consumed)
