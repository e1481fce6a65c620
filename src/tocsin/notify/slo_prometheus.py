"""Burn-rate alerts of SLOs whose SLI is in Prometheus: the ``slo.prometheus`` job.

Every minute (a durable timer) it reads each such SLO's error ratio over every alert window
from Prometheus, with no transaction open, then raises or resolves the alerts as
``SloAlerts`` makes them. It runs only when ``prometheus:`` is set and its ``slo_alerts`` is
``tocsin``; with ``rules`` Prometheus evaluates the alerts itself from the rules
``tocsin slo rules`` writes, and Tocsin must not page twice.

An SLO Prometheus cannot answer for keeps its firing alerts as they were (neither a new
page nor a resolution from a monitoring outage) and is logged; the reads stop at half the
timer's lease, the SLOs left over counting as unanswered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import AlertEvent
from tocsin.domain.slo import error_ratio
from tocsin.domain.slo_specs import BuiltinSli, SloSpec
from tocsin.engine.runner import Again
from tocsin.errors import Unavailable
from tocsin.notify.slo_watch import EVERY, SloAlerts
from tocsin.store.slo_readings import SliReader, reader_for
from tocsin.store.timers import Timer

__all__ = ["EVALUATE_PROMETHEUS", "PrometheusSloWatch"]

EVALUATE_PROMETHEUS = "slo.prometheus"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Work:
    now: datetime
    specs: tuple[SloSpec, ...]


@dataclass
class _Read:
    #: Per SLO id: the error ratio over each alert window.
    ratios: dict[str, dict[timedelta, float | None]] = field(default_factory=dict)
    #: Per SLO id: why it could not be read.
    failed: dict[str, str] = field(default_factory=dict)


class PrometheusSloWatch:
    def __init__(
        self,
        routing: Callable[[], RoutingConfig | None],
        alerts: SloAlerts,
        reader: Callable[[], SliReader],
        monotonic: Callable[[], float],
        budget: timedelta = timedelta(seconds=30),
    ) -> None:
        self.routing = routing
        self.alerts = alerts
        self.reader = reader
        self.monotonic = monotonic
        self.budget = budget

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> _Work:
        config = self.routing()
        source = config.prometheus if config is not None else None
        if config is None or source is None or not source.evaluate_alerts:
            return _Work(now, ())
        specs = tuple(s for s in config.slos.values() if not isinstance(s.sli, BuiltinSli))
        return _Work(now, specs)

    def perform(self, work: _Work) -> _Read:
        read = _Read()
        deadline = self.monotonic() + self.budget.total_seconds()
        for spec in work.specs:
            if self.monotonic() > deadline:
                read.failed[spec.id] = "not read: Prometheus took too long for the others"
                continue
            try:
                reader = reader_for(spec, self.reader())
                spans = {span for w in spec.windows() for span in (w.short, w.long)}
                read.ratios[spec.id] = {
                    span: error_ratio(reader.counts(spec, work.now - span, work.now))
                    for span in sorted(spans)
                }
            except Unavailable as exc:
                read.failed[spec.id] = str(exc)
        for slo_id, why in read.failed.items():
            log.warning("SLO %s: burn-rate alerts not evaluated: %s", slo_id, why)
        return read

    def complete(
        self, conn: Connection, timer: Timer, work: _Work, result: _Read, now: datetime
    ) -> Again:
        events: list[AlertEvent] = []
        for spec in work.specs:
            if spec.id in result.failed:
                events += self.alerts.renewals(conn, spec, now)
            elif spec.id in result.ratios:
                events += self.alerts.events(conn, spec, work.now, result.ratios[spec.id].get)
        if events:
            self.alerts.raise_alerts(conn, events, now)
        return Again(work.now + EVERY)
