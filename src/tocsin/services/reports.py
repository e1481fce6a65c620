"""Reports on incidents and alerts over a period [start, end): response-time metrics and
volume (``domain/incident_metrics``), the alert review (``domain/alert_review``) and the
headline figures ``/metrics`` exports. Each report is one read transaction of a few bulk
queries (``store/report_reads``), then pure arithmetic (docs/reports.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.config.compile import RoutingConfig
from tocsin.config.durations import duration_input
from tocsin.domain.alert_review import FLAP_WINDOW, MIN_FIRED, AlertReview, alert_review
from tocsin.domain.incident_metrics import (
    Distribution,
    Grouping,
    IncidentMetrics,
    Measure,
    Volume,
    distribution,
    durations,
    incident_metrics,
    volume,
)
from tocsin.domain.incidents import Status
from tocsin.domain.wallclock import start_of_day
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError
from tocsin.store import report_reads as reads
from tocsin.store.database import Database
from tocsin.store.report_reads import Filters

__all__ = [
    "Headline",
    "IncidentReport",
    "RepeatFinder",
    "ReportService",
    "grouping",
    "instant",
    "period",
    "zone_named",
]

UTC = ZoneInfo("UTC")
#: The longest period a report covers.
MAX_SPAN = timedelta(days=3 * 366)
#: The headline gauges' window, and how long one reading of them is kept.
HEADLINE_WINDOW = timedelta(days=30)
HEADLINE_TTL = timedelta(seconds=60)


#: The incidents opened in [start, end) flagged as repeats (``domain/repeats``).
RepeatFinder = Callable[[datetime, datetime], Collection[int]]


# -- parsing what people type ----------------------------------------------------------------


def zone_named(name: str | None, field_name: str = "tz") -> ZoneInfo:
    """An IANA time zone (UTC when not given); InputError naming ``field_name``."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America"
        raise InputError(FieldProblem(field_name, f"{name!r} is not a time zone")) from None


def grouping(name: str, field_name: str = "by") -> Grouping:
    try:
        return Grouping(name.strip().lower())
    except ValueError:
        choices = ", ".join(g.value for g in Grouping)
        raise InputError(FieldProblem(field_name, f"{name!r} is not one of {choices}")) from None


def instant(text: str, field_name: str, zone: ZoneInfo) -> datetime:
    """``2026-03-01`` (that day's start in ``zone``) or an ISO 8601 time with an offset."""
    value = text.strip()
    try:
        if len(value) == 10:
            return start_of_day(date.fromisoformat(value), zone)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            FieldProblem(field_name, f"{text!r} is not a date (2026-03-01) or ISO 8601 time")
        ) from None
    if parsed.tzinfo is None:
        raise InputError(FieldProblem(field_name, "needs a UTC offset, e.g. Z or +01:00"))
    return parsed


def period(
    now: datetime,
    *,
    since: str | None = None,
    start: str | None = None,
    end: str | None = None,
    zone: ZoneInfo = UTC,
    default: timedelta = timedelta(days=30),
) -> tuple[datetime, datetime]:
    """[start, end) from what was asked: ``since`` (a duration back from now, e.g. 30d) or
    ``start`` and ``end`` (end defaults to now, start to ``default`` before end)."""
    if since is not None and start is not None:
        raise InputError(FieldProblem("since", "give since or start, not both"))
    until = instant(end, "end", zone) if end else now
    if since is not None:
        begin = until - duration_input(since.strip(), "since")
    else:
        begin = instant(start, "start", zone) if start else until - default
    if begin >= until:
        raise InputError(FieldProblem("end", "must be after start"))
    if until - begin > MAX_SPAN:
        raise InputError(FieldProblem("start", "a report covers at most three years"))
    return begin, until


# -- the reports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentReport:
    start: datetime
    end: datetime
    zone: ZoneInfo
    filters: Filters
    metrics: IncidentMetrics
    volume: Volume


@dataclass(frozen=True)
class Headline:
    """What ``/metrics`` shows: open incidents now, MTTA and MTTR over the last 30 days,
    overdue action items."""

    at: datetime
    open_by_severity: dict[str, int]
    mtta: Distribution
    mttr: Distribution
    action_items_overdue: int


@dataclass
class _Kept:
    headline: Headline | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class ReportService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: Callable[[], RoutingConfig | None],
        *,
        repeats: RepeatFinder | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        #: Where repeat incidents come from (None: the volume says it does not know).
        self.repeats = repeats
        self._kept = _Kept()

    def incidents(
        self,
        start: datetime,
        end: datetime,
        *,
        by: Grouping = Grouping.SEVERITY,
        zone: ZoneInfo = UTC,
        team: str | None = None,
        service: str | None = None,
    ) -> IncidentReport:
        """MTTD/MTTA/MTTM/MTTR by ``by``, and volume, for incidents opened in [start, end)."""
        _check(start, end)
        filters = Filters(team, service)
        now = self.clock.now()
        with self.db.read() as conn:
            facts = reads.incident_facts(conn, start, end, filters)
            pms = reads.postmortem_facts(conn, start, end, filters)
            items = reads.action_item_facts(conn, start, min(end, now), filters)
        config = self.config()
        required = config.postmortems.required_for if config else frozenset({"SEV1", "SEV2"})
        repeat_ids = self.repeats(start, end) if self.repeats is not None else None
        return IncidentReport(
            start,
            end,
            zone,
            filters,
            incident_metrics(facts, by, zone),
            volume(
                facts,
                start,
                end,
                now,
                zone=zone,
                repeat_ids=repeat_ids,
                postmortems=pms,
                required_for=required,
                action_items=items,
            ),
        )

    def alerts(
        self,
        start: datetime,
        end: datetime,
        *,
        team: str | None = None,
        service: str | None = None,
        flap_window: timedelta = FLAP_WINDOW,
        min_fired: int = MIN_FIRED,
    ) -> AlertReview:
        """The alert review of [start, end)."""
        _check(start, end)
        if min_fired < 1:
            raise InputError(FieldProblem("min_fired", "must be 1 or more"))
        config = self.config()
        label = config.incidents.service_label if config else "service"
        with self.db.read() as conn:
            facts = reads.alert_facts(
                conn,
                start,
                end,
                since=start - flap_window,
                now=self.clock.now(),
                service_label=label,
            )
        return alert_review(
            facts.firings,
            facts.links,
            facts.incidents,
            start,
            end,
            flap_window=flap_window,
            min_fired=min_fired,
            service=service,
            team=team,
        )

    def headline(self) -> Headline:
        """The headline figures, read at most once a minute (``/metrics`` is scraped often;
        the figures move slowly)."""
        now = self.clock.now()
        with self._kept.lock:
            kept = self._kept.headline
            if kept is not None and timedelta(0) <= now - kept.at < HEADLINE_TTL:
                return kept
            statuses = [s.value for s in Status if s.is_open]
            with self.db.read() as conn:
                opened = reads.open_incidents(conn, statuses)
                recent = reads.incident_facts(conn, now - HEADLINE_WINDOW, now, first_alert=False)
                overdue = reads.open_action_items_overdue(conn, now)
            times = [durations(i) for i in recent if i.merged_into is None]

            def measured(m: Measure) -> Distribution:
                return distribution(v for t in times if (v := t[m]) is not None)

            fresh = Headline(now, opened, measured(Measure.MTTA), measured(Measure.MTTR), overdue)
            self._kept.headline = fresh
            return fresh


def _check(start: datetime, end: datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InputError(FieldProblem("start", "needs a UTC offset"))
    if start >= end:
        raise InputError(FieldProblem("end", "must be after start"))
    if end - start > MAX_SPAN:
        raise InputError(FieldProblem("start", "a report covers at most three years"))
