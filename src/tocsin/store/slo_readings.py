"""Where an SLO's events come from, behind one interface: ``counts`` over a span and a
``series`` of counts per step. Built-in SLIs read the per-minute buckets in the database,
Prometheus SLIs read Prometheus (``integrations/prometheus_sli``), and an SLO budgeted by
timeslices reads either through ``SlicedReader``, which turns events into good and bad
slices."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection

from tocsin.domain.slo import Counts, error_ratio, good_timeslices
from tocsin.domain.slo_specs import SloSpec, Timeslices
from tocsin.store import slo_events

__all__ = ["EventsReader", "SliReader", "SlicedReader", "ratios", "reader_for"]


class SliReader(Protocol):
    def counts(self, spec: SloSpec, start: datetime, end: datetime) -> Counts:
        """The events in [start, end)."""
        ...

    def series(
        self, spec: SloSpec, start: datetime, end: datetime, step: timedelta
    ) -> list[Counts]:
        """The events in each step from ``start``, the last step cut at ``end``."""
        ...


class EventsReader:
    """Built-in SLIs: the events posted to Tocsin, kept per minute."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def counts(self, spec: SloSpec, start: datetime, end: datetime) -> Counts:
        return slo_events.counts(self.conn, spec.id, start, end)

    def series(
        self, spec: SloSpec, start: datetime, end: datetime, step: timedelta
    ) -> list[Counts]:
        steps = max(0, -((start - end) // step))  # ceil
        found = slo_events.per_step(self.conn, spec.id, start, end, step)
        return [found.get(i, Counts(0, 0)) for i in range(steps)]


class SlicedReader:
    """Timeslice budgeting: the counts are of slices (good, all), not of events. Slices
    run from the start of the span asked for; a slice with no traffic is good."""

    def __init__(self, events: SliReader, slices: Timeslices) -> None:
        self.events = events
        self.slices = slices

    def _flags(self, spec: SloSpec, start: datetime, end: datetime) -> list[bool]:
        per_slice = self.events.series(spec, start, end, self.slices.slice)
        return good_timeslices(per_slice, self.slices.target)

    def counts(self, spec: SloSpec, start: datetime, end: datetime) -> Counts:
        flags = self._flags(spec, start, end)
        return Counts(sum(flags), len(flags))

    def series(
        self, spec: SloSpec, start: datetime, end: datetime, step: timedelta
    ) -> list[Counts]:
        """``step`` is rounded up to whole slices."""
        per = max(1, -(-step // self.slices.slice))
        flags = self._flags(spec, start, end)
        return [
            Counts(sum(flags[i : i + per]), len(flags[i : i + per]))
            for i in range(0, len(flags), per)
        ]


def ratios(reader: SliReader, spec: SloSpec, now: datetime) -> Callable[[timedelta], float | None]:
    """The error ratio over [now - W, now) for any W, each read once."""
    found: dict[timedelta, float | None] = {}

    def ratio_over(window: timedelta) -> float | None:
        if window not in found:
            found[window] = error_ratio(reader.counts(spec, now - window, now))
        return found[window]

    return ratio_over


def reader_for(spec: SloSpec, events: SliReader) -> SliReader:
    """The reader of the SLO's budget: its events, or their timeslices."""
    return events if spec.budgeting is None else SlicedReader(events, spec.budgeting)
