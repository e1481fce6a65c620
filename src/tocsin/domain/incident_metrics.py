"""Incident metrics and volume, as pure functions over plain facts (docs/reports.md).

Response times, each from the moment the incident opened (``created_at``):

- MTTD, time to detect: from the first alert's start (the earliest ``startsAt`` of its
  alerts' firings) to the incident opening. Incidents declared by hand have no alert: they
  are left out of MTTD. A first alert that started after the opening counts as 0.
- MTTA, to acknowledge: opened -> acknowledged.
- MTTM, to mitigate: opened -> mitigated.
- MTTR, to resolve: opened -> resolved.

Each is a distribution (count, mean, p50, p90) over the incidents that have the timestamps it
needs; an incident without one (never acknowledged, not resolved yet) is left out of that
measure only. Incidents merged into another are left out of everything: their alerts and
their time live on in the incident they were merged into.

Percentiles are **nearest-rank**: the p-th percentile of n sorted values is the value at rank
``ceil(p / 100 * n)`` (counting from 1), always one of the values measured. For 1, 2, 3, 4
minutes p50 is 2 minutes and p90 is 4 minutes.

Months are calendar months of the opening in a given time zone (UTC unless said otherwise):
an incident opened at 23:30 UTC on 31 March is a April incident in Berlin.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

__all__ = [
    "ActionItemFact",
    "Distribution",
    "GroupMetrics",
    "Grouping",
    "IncidentFacts",
    "IncidentMetrics",
    "Measure",
    "MonthVolume",
    "PostmortemFact",
    "Volume",
    "distribution",
    "durations",
    "incident_metrics",
    "month_of",
    "months_between",
    "percentile",
    "volume",
]

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


class Measure(StrEnum):
    MTTD = "mttd"
    MTTA = "mtta"
    MTTM = "mttm"
    MTTR = "mttr"


class Grouping(StrEnum):
    SEVERITY = "severity"
    SERVICE = "service"
    TEAM = "team"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """What the metrics need of one incident."""

    id: int
    severity: str
    service: str | None
    team: str | None
    created_at: datetime
    #: The earliest start of its alerts (None: declared by hand, or no alert kept).
    first_alert_at: datetime | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    merged_into: int | None = None


@dataclass(frozen=True, slots=True)
class Distribution:
    """Durations in seconds: how many, their mean, p50 and p90 (None when there are none)."""

    count: int
    mean: float | None
    p50: float | None
    p90: float | None


EMPTY = Distribution(0, None, None, None)


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of values sorted ascending."""
    if not ordered:
        raise ValueError("no values")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def distribution(values: Iterable[float]) -> Distribution:
    ordered = sorted(values)
    if not ordered:
        return EMPTY
    return Distribution(
        len(ordered),
        math.fsum(ordered) / len(ordered),
        percentile(ordered, 50),
        percentile(ordered, 90),
    )


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds()


def durations(i: IncidentFacts) -> dict[Measure, float | None]:
    """The incident's four response times in seconds (None where a timestamp is missing)."""
    detect = None
    if i.first_alert_at is not None:
        detect = max(0.0, (i.created_at - i.first_alert_at).total_seconds())
    return {
        Measure.MTTD: detect,
        Measure.MTTA: _seconds(i.created_at, i.acknowledged_at),
        Measure.MTTM: _seconds(i.created_at, i.mitigated_at),
        Measure.MTTR: _seconds(i.created_at, i.resolved_at),
    }


def month_of(at: datetime, zone: ZoneInfo) -> str:
    """``2026-03``: the calendar month of ``at`` in ``zone``."""
    return at.astimezone(zone).strftime("%Y-%m")


def months_between(start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    """Every month [start, end) touches in ``zone``, oldest first."""
    if end <= start:
        return []
    first = start.astimezone(zone)
    last = (end - timedelta(microseconds=1)).astimezone(zone)
    year, month = first.year, first.month
    out = []
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _key(i: IncidentFacts, by: Grouping, zone: ZoneInfo) -> str | None:
    if by is Grouping.SEVERITY:
        return i.severity
    if by is Grouping.SERVICE:
        return i.service
    if by is Grouping.TEAM:
        return i.team
    return month_of(i.created_at, zone)


@dataclass(frozen=True)
class GroupMetrics:
    """One group (a severity, service, team or month; None: no service or team)."""

    key: str | None
    #: Incidents in the group (merged ones left out).
    incidents: int
    measures: Mapping[Measure, Distribution]


@dataclass(frozen=True)
class IncidentMetrics:
    by: Grouping
    groups: tuple[GroupMetrics, ...]
    overall: GroupMetrics


def _group(key: str | None, members: Sequence[IncidentFacts]) -> GroupMetrics:
    values: dict[Measure, list[float]] = {m: [] for m in Measure}
    for i in members:
        for measure, seconds in durations(i).items():
            if seconds is not None:
                values[measure].append(seconds)
    return GroupMetrics(key, len(members), {m: distribution(v) for m, v in values.items()})


def _order(by: Grouping, key: str | None) -> tuple[int, str]:
    """Severities in severity order, months in time order, others by name with none last."""
    if by is Grouping.SEVERITY and key in SEVERITIES:
        return (0, f"{SEVERITIES.index(key):02d}")
    return (1, "") if key is None else (0, key)


def incident_metrics(
    incidents: Iterable[IncidentFacts], by: Grouping, zone: ZoneInfo = ZoneInfo("UTC")
) -> IncidentMetrics:
    """MTTD, MTTA, MTTM and MTTR per group and over all, merged incidents left out."""
    kept = [i for i in incidents if i.merged_into is None]
    grouped: dict[str | None, list[IncidentFacts]] = {}
    for i in kept:
        grouped.setdefault(_key(i, by, zone), []).append(i)
    keys = sorted(grouped, key=lambda k: _order(by, k))
    return IncidentMetrics(by, tuple(_group(k, grouped[k]) for k in keys), _group(None, kept))


# -- volume ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostmortemFact:
    """An incident's postmortem as stored: whether policy requires it, whether published."""

    incident_id: int
    required: bool
    published: bool


@dataclass(frozen=True, slots=True)
class ActionItemFact:
    incident_id: int
    due_at: datetime | None
    #: open, in_progress, done, wont_do
    status: str
    closed_at: datetime | None


@dataclass(frozen=True)
class MonthVolume:
    month: str
    #: Every severity, zero where there were none.
    by_severity: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Volume:
    months: tuple[MonthVolume, ...]
    by_severity: Mapping[str, int]
    total: int
    #: Incidents of the period flagged as repeats (None: repeats were not given).
    repeats: int | None
    #: Resolved incidents that need a postmortem, and how many of those are published.
    postmortems_required: int
    postmortems_published: int
    #: Action items due in the period (up to now, won't-do ones left out), and how many were
    #: done by their due time.
    action_items_due: int
    action_items_on_time: int

    @property
    def postmortem_rate(self) -> float | None:
        return _rate(self.postmortems_published, self.postmortems_required)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.action_items_on_time, self.action_items_due)


def _needs_postmortem(
    i: IncidentFacts, found: PostmortemFact | None, required_for: Collection[str]
) -> bool:
    if i.resolved_at is None:
        return False  # not due before the incident is over
    if found is not None:
        return found.required
    return i.severity in required_for


def volume(
    incidents: Iterable[IncidentFacts],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    zone: ZoneInfo = ZoneInfo("UTC"),
    repeat_ids: Collection[int] | None = None,
    postmortems: Iterable[PostmortemFact] = (),
    required_for: Collection[str] = ("SEV1", "SEV2"),
    action_items: Iterable[ActionItemFact] = (),
) -> Volume:
    """Incidents opened in [start, end) by severity and month; repeats among them; the
    share of required postmortems published; the share of the action items given (whatever
    incident they came from) due in [start, min(end, now)) that were done by their due time.

    A postmortem is required for a resolved incident when its stored postmortem says so, or,
    when none was drafted yet, when the policy requires one for its severity
    (``required_for``)."""
    kept = [i for i in incidents if i.merged_into is None and start <= i.created_at < end]
    months = {m: dict.fromkeys(SEVERITIES, 0) for m in months_between(start, end, zone)}
    totals = dict.fromkeys(SEVERITIES, 0)
    for i in kept:
        month = months.setdefault(month_of(i.created_at, zone), dict.fromkeys(SEVERITIES, 0))
        month[i.severity] = month.get(i.severity, 0) + 1
        totals[i.severity] = totals.get(i.severity, 0) + 1
    ids = {i.id for i in kept}
    by_incident = {p.incident_id: p for p in postmortems}
    required = [i for i in kept if _needs_postmortem(i, by_incident.get(i.id), required_for)]
    published = [i for i in required if (p := by_incident.get(i.id)) is not None and p.published]
    until = min(end, now)
    due = [
        (a, a.due_at)
        for a in action_items
        if a.due_at is not None and start <= a.due_at < until and a.status != "wont_do"
    ]
    on_time = [
        a
        for a, due_at in due
        if a.status == "done" and a.closed_at is not None and a.closed_at <= due_at
    ]
    return Volume(
        months=tuple(MonthVolume(m, counts) for m, counts in sorted(months.items())),
        by_severity=totals,
        total=len(kept),
        repeats=None if repeat_ids is None else len(ids & set(repeat_ids)),
        postmortems_required=len(required),
        postmortems_published=len(published),
        action_items_due=len(due),
        action_items_on_time=len(on_time),
    )
