"""What a schedule's final shifts say about coverage: gaps, hours per person, handoffs.

Pure functions over ``schedules.shifts``; no IO, every instant a parameter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tocsin.domain.schedules import Override, Schedule, Shift, oncall_at, shifts

__all__ = [
    "Gap",
    "Handoff",
    "Turn",
    "gaps",
    "gaps_between",
    "handoffs",
    "hours_on_call",
    "total_hours",
    "turn_at",
    "with_overrides",
]

_JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True)
class Gap:
    """Nobody is on call in [start, end)."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Handoff:
    """At ``at``, who is on call changes from ``outgoing`` to ``incoming`` (None: nobody)."""

    at: datetime
    outgoing: str | None
    incoming: str | None


def with_overrides(schedule: Schedule, extra: Iterable[Override]) -> Schedule:
    """The schedule with ``extra`` overrides above its own (later ones win)."""
    more = tuple(extra)
    return replace(schedule, overrides=schedule.overrides + more) if more else schedule


def gaps(schedule: Schedule, start: datetime, end: datetime) -> list[Gap]:
    """The uncovered parts of [start, end), in order: the complement of the final shifts."""
    return gaps_between(shifts(schedule, start, end), start, end)


def gaps_between(found: Sequence[Shift], start: datetime, end: datetime) -> list[Gap]:
    """The parts of [start, end) that ``found`` (final shifts, in order) leaves uncovered."""
    out: list[Gap] = []
    at = start
    for shift in found:
        if shift.start > at:
            out.append(Gap(at, shift.start))
        at = shift.end
    if at < end:
        out.append(Gap(at, end))
    return out


def hours_on_call(found: Sequence[Shift]) -> dict[str, timedelta]:
    """Time on call per person over the given shifts, most first."""
    totals: defaultdict[str, timedelta] = defaultdict(timedelta)
    for shift in found:
        totals[shift.user] += shift.end - shift.start
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def handoffs(schedule: Schedule, start: datetime, end: datetime) -> list[Handoff]:
    """Every instant in [start, end) at which who is on call changes, with who hands over
    to whom. A change exactly at ``start`` counts when the person just before differs."""
    points: set[datetime] = set()
    for shift in shifts(schedule, start, end):
        points.add(shift.start)
        if shift.end < end:
            points.add(shift.end)
    out = []
    for at in sorted(points):
        before, after = oncall_at(schedule, at - _JUST_BEFORE), oncall_at(schedule, at)
        if before != after:
            out.append(Handoff(at, before, after))
    return out


def total_hours(per_schedule: Mapping[str, Mapping[str, timedelta]]) -> dict[str, timedelta]:
    """Time on call per person summed over schedules, most first."""
    totals: defaultdict[str, timedelta] = defaultdict(timedelta)
    for users in per_schedule.values():
        for user, spent in users.items():
            totals[user] += spent
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class Turn:
    """Who is on call at an instant, since and until when (None: beyond the reach looked)."""

    user: str
    since: datetime | None
    until: datetime | None


def turn_at(schedule: Schedule, t: datetime, reach: timedelta = timedelta(days=31)) -> Turn | None:
    """The unbroken run of one person containing ``t``, looked for within ``reach`` either
    way; None when nobody is on call at ``t``."""
    user = oncall_at(schedule, t)
    if user is None:
        return None
    before = shifts(schedule, t - reach, t + _JUST_BEFORE)
    since = before[-1].start if before and before[-1].start > t - reach else None
    after = shifts(schedule, t, t + reach)
    until = after[0].end if after and after[0].end < t + reach else None
    return Turn(user, since, until)
