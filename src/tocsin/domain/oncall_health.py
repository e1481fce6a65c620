"""On-call health: how heavy each person's on-call load was over a period, and how evenly a
rotation shared it. Pure: shifts, pages, time zones, the policy and the period are all
parameters (no IO, no clock).

Definitions (docs/oncall-health.md says the same for readers):

* **A shift** is one contiguous on-call interval of one person in one schedule: an entry of
  ``schedules.shifts`` (a maximal run of one person in the schedule's final layer), clipped to
  the period. A restricted layer (nights only, say) gives one shift per window.
* **A page** is one incident reaching one person: every message Tocsin sent that person about
  that incident within one shift (each contact method, each escalation repeat) is one
  interruption, timed at the first of them. The same incident paging them again in a later
  shift is another page; off shift, one incident is one page.
* **Attribution.** A page belongs to the shift the person was on call in when paged. If they
  were on call in several schedules at that instant, it belongs to the shift that began
  first (then the schedule's name). A page outside all their shifts is an **off-shift page**.
* **Pages per shift** is the pages during shifts divided by the shifts (off-shift pages are
  not in it); its maximum is the most pages in one shift. The person is **over budget** when
  the average exceeds ``HealthPolicy.page_budget``.
* **Outside working hours / sleep hours** are judged in the person's own time zone, with
  zoneinfo (so a page at 06:30 is in sleep hours on a winter morning and 07:30 the day the
  clocks go forward). Sleep hours may cross midnight (22:00-07:00). Every page counts, on
  shift or not.
* **Hours on call** is the time a person was on call in at least one schedule: shifts that
  overlap in two schedules count once. **Longest stretch**: the person's shifts in all
  schedules, merged where they overlap or touch; the longest merged run (within the period).
* **Fairness**, per schedule, over the people with a shift in it: each one's share of its
  on-call hours and of its pages, and that share against an even share (``1/n``; 1.0 is
  even, 2.0 is twice an even share). Two summaries: the **coefficient of variation**
  (population standard deviation over the mean; 0 is perfectly even, 0 when nobody was
  paged) and the **spread** (most over least; None when someone's figure is 0).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.learning_policy import HealthPolicy
from tocsin.domain.schedules import Shift

__all__ = [
    "Fairness",
    "HealthReport",
    "OnCallShift",
    "Page",
    "PersonHealth",
    "Share",
    "health_report",
    "in_sleep_hours",
    "in_working_hours",
    "longest_stretch",
    "of_schedule",
    "stretches",
]


@dataclass(frozen=True)
class OnCallShift:
    """One contiguous on-call interval [start, end) of one person in one schedule."""

    person: str
    schedule: str
    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def of_schedule(schedule: str, found: Iterable[Shift]) -> list[OnCallShift]:
    """``schedules.shifts`` of the schedule named ``schedule`` as OnCallShifts."""
    return [OnCallShift(s.user, schedule, s.start, s.end) for s in found]


@dataclass(frozen=True)
class Page:
    """One message paging ``person`` about ``incident`` at ``at``."""

    person: str
    at: datetime
    incident: int
    severity: str = ""


@dataclass(frozen=True)
class PersonHealth:
    person: str
    zone: ZoneInfo
    #: Time on call in at least one schedule (overlapping shifts count once).
    hours: timedelta
    shifts: int
    #: Pages (interruptions) in the period, during shifts and off shift.
    pages: int
    off_shift_pages: int
    #: Pages during shifts over shifts; None without shifts.
    pages_per_shift: float | None
    #: The most pages in one shift.
    max_pages_per_shift: int
    off_hours_pages: int
    sleep_pages: int
    longest_stretch: timedelta
    #: pages_per_shift exceeds the policy's page budget.
    over_budget: bool
    #: Pages by incident severity, e.g. {"SEV1": 2}.
    by_severity: Mapping[str, int] = field(default_factory=dict)

    @property
    def on_shift_pages(self) -> int:
        return self.pages - self.off_shift_pages


@dataclass(frozen=True)
class Share:
    """One person's part of one schedule's load."""

    person: str
    hours: timedelta
    pages: int
    #: Of the schedule's on-call hours, 0..1.
    hours_share: float
    #: Of the schedule's pages, 0..1; None when nobody in it was paged.
    pages_share: float | None
    #: The share over an even share (1/n): 1.0 is even.
    hours_vs_even: float
    pages_vs_even: float | None


@dataclass(frozen=True)
class Fairness:
    """How evenly one schedule's load fell on the people on call in it."""

    schedule: str
    people: tuple[Share, ...]
    #: Coefficient of variation (population standard deviation / mean); 0 is even.
    hours_cv: float
    pages_cv: float
    #: Most over least; None when the least is 0.
    hours_spread: float | None
    pages_spread: float | None


@dataclass(frozen=True)
class HealthReport:
    start: datetime
    end: datetime
    policy: HealthPolicy
    people: tuple[PersonHealth, ...]
    schedules: tuple[Fairness, ...]

    @property
    def over_budget(self) -> tuple[PersonHealth, ...]:
        return tuple(p for p in self.people if p.over_budget)


# -- hours of the day --------------------------------------------------------------------


def in_working_hours(at: datetime, zone: ZoneInfo, policy: HealthPolicy) -> bool:
    """Whether ``at`` is on a working day between the working start and end, in ``zone``."""
    local = at.astimezone(zone)
    return (
        local.weekday() in policy.working_days
        and policy.working_start <= local.time() < policy.working_end
    )


def in_sleep_hours(at: datetime, zone: ZoneInfo, policy: HealthPolicy) -> bool:
    """Whether ``at`` is in sleep hours in ``zone``; [start, end) crosses midnight when the
    end is earlier than the start (22:00-07:00); equal ends mean no sleep hours."""
    t = at.astimezone(zone).time()
    start, end = policy.sleep_start, policy.sleep_end
    if start < end:
        return start <= t < end
    if start > end:
        return t >= start or t < end
    return False


# -- stretches and attribution ------------------------------------------------------------


def stretches(shifts: Iterable[OnCallShift]) -> list[tuple[datetime, datetime]]:
    """The unbroken runs of the given shifts (one person's), in order: shifts that overlap
    or touch merge, whatever their schedule."""
    runs: list[tuple[datetime, datetime]] = []
    for s in sorted(shifts, key=lambda s: s.start):
        if runs and s.start <= runs[-1][1]:
            runs[-1] = (runs[-1][0], max(runs[-1][1], s.end))
        else:
            runs.append((s.start, s.end))
    return runs


def longest_stretch(shifts: Iterable[OnCallShift]) -> timedelta:
    """The longest unbroken run of the given shifts (one person's)."""
    return max((end - start for start, end in stretches(shifts)), default=timedelta(0))


class _Roster:
    """One person's shifts in order of start, for finding the one a page belongs to."""

    def __init__(self, shifts: Sequence[OnCallShift]) -> None:
        self.shifts = sorted(shifts, key=lambda s: (s.start, s.schedule))
        self.starts = [s.start for s in self.shifts]
        # reach[j]: the latest end among shifts[0..j]; nothing at or before j covers later.
        self.reach: list[datetime] = []
        for s in self.shifts:
            self.reach.append(max(self.reach[-1], s.end) if self.reach else s.end)

    def at(self, t: datetime) -> int | None:
        """The index of the earliest-starting shift covering ``t``, or None."""
        found = None
        for j in range(bisect_right(self.starts, t) - 1, -1, -1):
            if self.reach[j] <= t:
                break
            if self.shifts[j].end > t:
                found = j
        return found


def _utc(t: datetime) -> datetime:
    return t.astimezone(UTC)


def _cv(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    if mean == 0:
        return 0.0
    variance = sum((v - mean) ** 2 for v in values) / len(values)
    return math.sqrt(variance) / mean


def _spread(values: Sequence[float]) -> float | None:
    low = min(values)
    return max(values) / low if low > 0 else None


# -- the report -------------------------------------------------------------------------


def _fairness(schedule: str, hours: Mapping[str, timedelta], pages: Mapping[str, int]) -> Fairness:
    people = sorted(hours)
    n = len(people)
    total_hours = sum(hours.values(), timedelta(0))
    total_pages = sum(pages.get(p, 0) for p in people)
    shares = []
    for person in people:
        h_share = hours[person] / total_hours
        p_share = pages.get(person, 0) / total_pages if total_pages else None
        shares.append(
            Share(
                person,
                hours[person],
                pages.get(person, 0),
                h_share,
                p_share,
                h_share * n,
                p_share * n if p_share is not None else None,
            )
        )
    hour_values = [hours[p] / timedelta(hours=1) for p in people]
    page_values = [float(pages.get(p, 0)) for p in people]
    return Fairness(
        schedule,
        tuple(shares),
        _cv(hour_values),
        _cv(page_values),
        _spread(hour_values),
        _spread(page_values),
    )


def health_report(
    shifts: Iterable[OnCallShift],
    pages: Iterable[Page],
    zones: Mapping[str, ZoneInfo],
    policy: HealthPolicy,
    start: datetime,
    end: datetime,
    *,
    default_zone: ZoneInfo = ZoneInfo("UTC"),
    only_on_call: bool = False,
) -> HealthReport:
    """Each person's on-call health over [start, end), and each schedule's fairness.

    ``zones``: each person's time zone (``default_zone`` for anyone missing). The report
    lists everyone with a shift or a page in the period (only those with a shift, when
    ``only_on_call``), by name."""
    start, end = _utc(start), _utc(end)
    clipped: defaultdict[str, list[OnCallShift]] = defaultdict(list)
    for s in shifts:
        begin, until = max(_utc(s.start), start), min(_utc(s.end), end)
        if begin < until:
            clipped[s.person].append(OnCallShift(s.person, s.schedule, begin, until))
    paged: defaultdict[str, list[Page]] = defaultdict(list)
    for p in pages:
        at = _utc(p.at)
        if start <= at < end:
            paged[p.person].append(Page(p.person, at, p.incident, p.severity))
    names = set(clipped) if only_on_call else set(clipped) | set(paged)

    people: list[PersonHealth] = []
    # schedule -> person -> hours, pages
    sched_hours: defaultdict[str, defaultdict[str, timedelta]] = defaultdict(
        lambda: defaultdict(timedelta)
    )
    sched_pages: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for person in sorted(names):
        roster = _Roster(clipped.get(person, []))
        for s in roster.shifts:
            sched_hours[s.schedule][person] += s.length
        # One page per (shift or off shift, incident): the first message.
        first: dict[tuple[int | None, int], Page] = {}
        for p in sorted(paged.get(person, []), key=lambda p: p.at):
            first.setdefault((roster.at(p.at), p.incident), p)
        per_shift = Counter(index for index, _ in first if index is not None)
        for index, count in per_shift.items():
            sched_pages[roster.shifts[index].schedule][person] += count
        zone = zones.get(person) or default_zone
        on_shift = sum(per_shift.values())
        n_shifts = len(roster.shifts)
        runs = stretches(roster.shifts)
        average = on_shift / n_shifts if n_shifts else None
        people.append(
            PersonHealth(
                person=person,
                zone=zone,
                hours=sum((b - a for a, b in runs), timedelta(0)),
                shifts=n_shifts,
                pages=len(first),
                off_shift_pages=len(first) - on_shift,
                pages_per_shift=average,
                max_pages_per_shift=max(per_shift.values(), default=0),
                off_hours_pages=sum(
                    not in_working_hours(p.at, zone, policy) for p in first.values()
                ),
                sleep_pages=sum(in_sleep_hours(p.at, zone, policy) for p in first.values()),
                longest_stretch=max((b - a for a, b in runs), default=timedelta(0)),
                over_budget=average is not None and average > policy.page_budget,
                by_severity=dict(sorted(Counter(p.severity for p in first.values()).items())),
            )
        )
    fairness = tuple(
        _fairness(name, sched_hours[name], sched_pages[name]) for name in sorted(sched_hours)
    )
    return HealthReport(start, end, policy, tuple(people), fairness)
