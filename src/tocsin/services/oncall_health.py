"""On-call health over a period: each person's hours, shifts and pages, and each schedule's
fairness (``domain.oncall_health``), from the schedules as they are (stored overrides
included) and the pages in ``messages``.

Which pages count, and when (docs/oncall-health.md):

* A page is a message of kind ``page`` or ``responder`` to a person about an incident, not
  cancelled (an unsent step of an incident acknowledged meanwhile never reached anybody).
  A failed one counts: Tocsin meant to interrupt the person, and the report is about load.
* Its time is ``created_at``: when Tocsin decided to page the person (the escalation step
  was due). ``sent_at`` is later by a provider's retries, and empty for a page that failed.
* One person paged several times about one incident within one shift (each contact method,
  each escalation pass, a re-trigger) is one page: the page budget is about interruptions,
  and an incident is one thing to get up for, however many times the phone rang about it
  (the Google SRE book's "two incidents a shift" counts incidents, not notifications).
* Each person's time zone is their own; without one, the zone of a schedule they were on
  call in (by name); else UTC.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tocsin.config.compile import RoutingConfig
from tocsin.domain.learning_policy import HealthPolicy
from tocsin.domain.oncall_health import HealthReport, OnCallShift, health_report, of_schedule
from tocsin.domain.schedules import shifts
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError
from tocsin.services.schedules import MAX_RANGE, ScheduleService
from tocsin.store.database import Database
from tocsin.store.oncall_pages import pages_between

__all__ = ["DEFAULT_SINCE", "CSV_COLUMNS", "OnCallHealthService", "to_csv"]

#: The period a report covers when none is given: the last 30 days.
DEFAULT_SINCE = timedelta(days=30)
UTC = ZoneInfo("UTC")


class OnCallHealthService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: Callable[[], RoutingConfig | None],
        schedules: ScheduleService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.schedules = schedules

    def period(
        self,
        start: datetime | None = None,
        end: datetime | None = None,
        since: timedelta | None = None,
    ) -> tuple[datetime, datetime]:
        """[start, end): ``end`` defaults to now, ``start`` to ``since`` (30 days) before
        ``end``; InputError naming the field when they do not make a period."""
        if since is not None and start is not None:
            raise InputError(FieldProblem("since", "give either since or start, not both"))
        if since is not None and since <= timedelta(0):
            raise InputError(FieldProblem("since", "must be longer than nothing"))
        until = end or self.clock.now()
        begin = start or until - (since or DEFAULT_SINCE)
        if until <= begin:
            raise InputError(FieldProblem("end", "must be after start"))
        if until - begin > MAX_RANGE:
            raise InputError(FieldProblem("end", "the period may be at most 366 days"))
        return begin, until

    def report(self, start: datetime, end: datetime, schedule: str | None = None) -> HealthReport:
        """Everyone's on-call health over [start, end). With ``schedule``, only its shifts
        count (pages while on call elsewhere are off-shift) and only its people are listed."""
        start, end = self.period(start, end)
        config = self.config()
        found = self.schedules.all(from_=start)
        if schedule is not None and schedule not in found:
            known = ", ".join(sorted(found)) or "none are configured"
            raise InputError(FieldProblem("schedule", f"no schedule {schedule!r} (known: {known})"))
        names = [schedule] if schedule is not None else sorted(found)
        on_call: list[OnCallShift] = []
        for name in names:
            on_call += of_schedule(name, shifts(found[name], start, end))
        with self.db.read() as conn:
            pages = pages_between(conn, start, end)
        zones: dict[str, ZoneInfo] = {}
        for s in on_call:  # by schedule name: the first schedule's zone wins
            zones.setdefault(s.person, found[s.schedule].zone)
        users = config.users if config is not None else {}
        for person, user in users.items():
            if user.time_zone is not None:
                zones[person] = user.time_zone
        policy = config.health if config is not None else HealthPolicy()
        return health_report(
            on_call,
            pages,
            zones,
            policy,
            start,
            end,
            default_zone=UTC,
            only_on_call=schedule is not None,
        )


CSV_COLUMNS = (
    "person",
    "time_zone",
    "hours_on_call",
    "shifts",
    "pages",
    "pages_on_shift",
    "off_shift_pages",
    "pages_per_shift",
    "max_pages_per_shift",
    "off_hours_pages",
    "sleep_hours_pages",
    "longest_stretch_hours",
    "over_page_budget",
)


def _hours(span: timedelta) -> str:
    return f"{span / timedelta(hours=1):.2f}"


def to_csv(report: HealthReport) -> str:
    """One row per person (hours with two decimals; pages per shift empty without shifts)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for p in report.people:
        writer.writerow(
            (
                p.person,
                p.zone.key,
                _hours(p.hours),
                p.shifts,
                p.pages,
                p.on_shift_pages,
                p.off_shift_pages,
                "" if p.pages_per_shift is None else f"{p.pages_per_shift:.2f}",
                p.max_pages_per_shift,
                p.off_hours_pages,
                p.sleep_pages,
                _hours(p.longest_stretch),
                "yes" if p.over_budget else "no",
            )
        )
    return out.getvalue()
