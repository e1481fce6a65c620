"""Uptime per day from a component's status history (the 90-day bars of a status page).

A component's history is the list of its status changes: each status holds from its change
until the next one (the last until ``now``). Before the first change the component did not
exist, and that time counts for nothing.

Downtime follows Atlassian Statuspage's uptime showcase ("Display historical uptime of
components", help.statuspage.io/help/uptime-calendar: the colour of a day and the uptime
percentage are "driven by component states", the minutes the component spent in each): a
minute of ``major_outage`` counts fully as downtime, a minute of ``partial_outage`` counts
as 0.3 of a minute (Statuspage weights a partial outage at 30 % of a major one; Instatus
documents the same convention in the same words, instatus.com/help/status-page/uptime-
colors), and degraded performance and maintenance do not count. A day's uptime is
``1 - downtime / time observed that day``; a period's is the same over the whole period.

A day's bar is coloured by its downtime, as Statuspage colours it (the same article: "Each
day will appear somewhere on the scale of Green->Yellow->Orange->Red depending on how much
downtime the component had. Days that had no or little downtime will appear as Green or
Yellow, whereas days with more downtime will appear as Orange or Red"; real Statuspage pages
show a day of degraded performance or maintenance alone in green). Statuspage does not
publish its steps; Tocsin's are ``LEVELS``: no downtime green, under 20 weighted minutes
yellow, under 2 hours orange, more red (``level``).

Days are calendar days in the page's time zone. Everything here takes ``now``; nothing
reads a clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tocsin.domain.status_page import ComponentStatus
from tocsin.domain.wallclock import start_of_day

__all__ = [
    "LEVELS",
    "PARTIAL_WEIGHT",
    "UPTIME_DAYS",
    "Change",
    "Day",
    "daily",
    "day_bounds",
    "extend_today",
    "finished",
    "in_force",
    "level",
    "period_uptime",
    "today_from",
    "zone_of",
]

#: Days of uptime bars on the page.
UPTIME_DAYS = 90
#: How much of a minute of partial outage counts as downtime.
PARTIAL_WEIGHT = 0.3
#: A day's colour by its weighted downtime: (below this many seconds, level), in order;
#: beyond the last, "high" (red). No downtime at all is "ok" (green).
LEVELS = ((20 * 60.0, "low"), (2 * 3600.0, "mid"))


@dataclass(frozen=True, slots=True)
class Change:
    """From ``at`` on, the component was ``status``."""

    at: datetime
    status: ComponentStatus


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    #: The worst status at any moment of the day; None when nothing was observed (before
    #: the component existed, or a day still to come).
    worst: ComponentStatus | None
    #: Seconds the component was observed that day (a whole day, less for its first day
    #: and for today).
    observed: float
    major: float
    partial: float

    @property
    def downtime(self) -> float:
        """Weighted seconds of downtime."""
        return self.major + PARTIAL_WEIGHT * self.partial

    @property
    def uptime(self) -> float | None:
        """From 0 to 1; None when nothing was observed."""
        if self.observed <= 0:
            return None
        return max(0.0, 1.0 - self.downtime / self.observed)


def day_bounds(first: date, days: int, zone: ZoneInfo) -> list[datetime]:
    """Where each of ``days`` days from ``first`` begins in ``zone``, and the last ends."""
    return [start_of_day(first + timedelta(days=i), zone) for i in range(days + 1)]


_MAJOR, _PARTIAL = ComponentStatus.MAJOR, ComponentStatus.PARTIAL


def daily(
    changes: Sequence[Change],
    *,
    first: date,
    days: int,
    now: datetime,
    zone: ZoneInfo,
    bounds: Sequence[datetime] | None = None,
) -> list[Day]:
    """``days`` consecutive days from ``first``, each with its worst status and downtime.
    ``changes`` must be in time order; changes after ``now`` are ignored. A status held
    for no time at all does not colour a day, except the status in force now (today).
    ``bounds`` (from ``day_bounds``) saves working them out again for each component."""
    if bounds is None:
        bounds = day_bounds(first, days, zone)
    # Segments (status, from, to), clipped to now; only the ones that reach the days.
    segments: list[tuple[ComponentStatus, datetime, datetime]] = []
    past = [c for c in changes if c.at <= now]
    for j, change in enumerate(past):
        until = past[j + 1].at if j + 1 < len(past) else now
        if until > change.at and until > bounds[0]:
            segments.append((change.status, change.at, until))
    current = past[-1].status if past else None
    out: list[Day] = []
    k = 0
    for i in range(days):
        start, end = bounds[i], bounds[i + 1]
        observed = major = partial = 0.0
        worst: ComponentStatus | None = None
        while k < len(segments) and segments[k][2] <= start:
            k += 1
        j = k
        while j < len(segments) and segments[j][1] < end:
            status, since, until = segments[j]
            overlap = (
                (until if until < end else end) - (since if since > start else start)
            ).total_seconds()
            if overlap > 0:
                observed += overlap
                if status is _MAJOR:
                    major += overlap
                elif status is _PARTIAL:
                    partial += overlap
                if worst is None or status.severity > worst.severity:
                    worst = status
            j += 1
        if current is not None and start <= now < end:
            worst = current if worst is None or current.severity > worst.severity else worst
        out.append(Day(first + timedelta(days=i), worst, observed, major, partial))
    return out


def extend_today(
    days: Sequence[Day], status: ComponentStatus, since: datetime, now: datetime
) -> list[Day]:
    """``days`` as ``daily`` made them at ``since``, brought to ``now``: the component kept
    ``status`` all along (nothing changed), and both instants fall in the last day. Exactly
    what ``daily`` would give at ``now``, without the history."""
    if not days or now <= since:
        return list(days)
    last = days[-1]
    held = (now - since).total_seconds()
    worst = (
        last.worst if last.worst is not None and last.worst.severity >= status.severity else status
    )
    today = Day(
        last.day,
        worst,
        last.observed + held,
        last.major + (held if status is _MAJOR else 0.0),
        last.partial + (held if status is _PARTIAL else 0.0),
    )
    return [*days[:-1], today]


def period_uptime(days: Sequence[Day]) -> float | None:
    """The uptime over all of ``days`` (None when none was observed)."""
    observed = sum(d.observed for d in days)
    if observed <= 0:
        return None
    return max(0.0, 1.0 - sum(d.downtime for d in days) / observed)


def level(day: Day) -> str:
    """The colour of ``day``'s bar: ``none`` (nothing observed), ``ok`` (no downtime), then
    ``low``, ``mid``, ``high`` (yellow, orange, red) as its downtime grows (``LEVELS``)."""
    if day.observed <= 0:
        return "none"
    downtime = day.downtime
    if downtime <= 0:
        return "ok"
    for below, name in LEVELS:
        if downtime < below:
            return name
    return "high"


def in_force(changes: Sequence[Change], at: datetime) -> ComponentStatus | None:
    """The status in force at ``at`` (the last change at or before it; the latest of
    changes at one instant), None before the first. ``changes`` in time order."""
    found: ComponentStatus | None = None
    for change in changes:
        if change.at > at:
            break
        found = change.status
    return found


def zone_of(name: str) -> ZoneInfo:
    """The page's time zone (UTC when the name is unknown)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America"
        return ZoneInfo("UTC")


def finished(
    changes: Sequence[Change],
    *,
    first: date,
    days: int,
    now: datetime,
    zone: ZoneInfo,
    bounds: Sequence[datetime] | None = None,
) -> list[tuple[Day, ComponentStatus | None]]:
    """``daily``'s days (all ended before ``now``), each with the status in force when it
    ended: what is kept of a finished day, so that ``today_from`` needs no older history."""
    if bounds is None:
        bounds = day_bounds(first, days, zone)
    found = daily(changes, first=first, days=days, now=now, zone=zone, bounds=bounds)
    return [(d, in_force(changes, bounds[i + 1])) for i, d in enumerate(found)]


def today_from(
    end: ComponentStatus | None,
    changes: Sequence[Change],
    *,
    day: date,
    now: datetime,
    zone: ZoneInfo,
) -> Day:
    """``day`` (today) from the status in force when the day before ended (None: the
    component did not exist yet) and the changes since ``day`` began: exactly the last day
    ``daily`` gives from the whole history."""
    bounds = day_bounds(day, 1, zone)
    lead = [Change(bounds[0], end)] if end is not None else []
    return daily([*lead, *changes], first=day, days=1, now=now, zone=zone, bounds=bounds)[0]
