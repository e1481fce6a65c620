"""On-call schedules: who is on call at an instant, and the final shifts over a period.

Pure functions over a compiled schedule (no IO; ``t`` is always a parameter), following
../specs/schedules.md exactly: PagerDuty's model (ordered layers, the last active one wins,
overrides above all, at most one person at a time) and GoAlert's wall-clock rules for
daylight saving (see ``wallclock``). Intervals are half-open: at a handoff instant the
incoming person is on call.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.wallclock import local, resolve_first, resolve_last

__all__ = [
    "Layer",
    "Override",
    "Restriction",
    "Rotation",
    "Schedule",
    "Shift",
    "Unit",
    "oncall_at",
    "shifts",
]


class Unit(enum.StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"

    def step(self, length: int) -> timedelta:
        return _UNIT_STEP[self] * length


_UNIT_STEP = {
    Unit.HOURS: timedelta(hours=1),
    Unit.DAYS: timedelta(days=1),
    Unit.WEEKS: timedelta(weeks=1),
}


@dataclass(frozen=True)
class Rotation:
    """Turns of ``length`` x ``unit`` of local wall-clock time, handing off at ``handoff``
    (on ``handoff_weekday``, ISO 1=Mon..7=Sun, if given). ``virtual_start``: the local
    date-time at which ``users[0]``'s turn began (PagerDuty's rotation_virtual_start)."""

    length: int
    unit: Unit
    handoff: time = time(0)
    handoff_weekday: int | None = None
    virtual_start: datetime | None = None

    @property
    def step(self) -> timedelta:
        return self.unit.step(self.length)


@dataclass(frozen=True)
class Restriction:
    """A window the layer is active in: daily, or weekly on ``weekday`` (ISO)."""

    start: time
    duration: timedelta
    weekday: int | None = None

    def window(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
        return _window(self, day, zone)


@functools.lru_cache(maxsize=65536)
def _window(r: Restriction, day: date, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    if r.weekday is not None and day.isoweekday() != r.weekday:
        return None
    wall = datetime.combine(day, r.start)
    return resolve_first(wall, zone), resolve_last(wall + r.duration, zone)


@dataclass(frozen=True)
class Layer:
    start: datetime
    rotation: Rotation
    users: tuple[str, ...]
    end: datetime | None = None
    restrictions: tuple[Restriction, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class Override:
    start: datetime
    end: datetime
    user: str


@dataclass(frozen=True)
class Schedule:
    name: str
    zone: ZoneInfo
    layers: tuple[Layer, ...]
    #: Later ones win where two overlap.
    overrides: tuple[Override, ...] = ()
    #: The team that owns it (a token bound to another team cannot change its shifts).
    team: str | None = None


@dataclass(frozen=True)
class Shift:
    user: str
    start: datetime
    end: datetime


# -- one layer ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _anchor(layer: Layer, zone: ZoneInfo) -> datetime:
    """The local date-time at which users[0]'s turn began (spec: "Rotation grid")."""
    rotation = layer.rotation
    if rotation.virtual_start is not None:
        return rotation.virtual_start
    start = local(layer.start, zone)
    if rotation.unit is Unit.HOURS:
        # Phase-aligned to the handoff: 8-hour turns from 06:00 hand off at 06, 14 and 22.
        step = rotation.step
        p = datetime.combine(start.date(), rotation.handoff)
        p += ((start - p) // step) * step
        while resolve_first(p, zone) > layer.start:
            p -= step
        while resolve_first(p + step, zone) <= layer.start:
            p += step
        return p
    p = datetime.combine(start.date(), rotation.handoff)
    day = timedelta(days=1)
    while (
        rotation.handoff_weekday is not None and p.isoweekday() != rotation.handoff_weekday
    ) or resolve_first(p, zone) > layer.start:
        p -= day
    return p


def _boundary(anchor: datetime, step: timedelta, k: int, zone: ZoneInfo) -> datetime:
    return resolve_first(anchor + k * step, zone)


def _turn(layer: Layer, zone: ZoneInfo, t: datetime) -> tuple[int, datetime, datetime]:
    """The turn k containing t, and its [start, end)."""
    anchor, step = _anchor(layer, zone), layer.rotation.step
    k = (local(t, zone) - anchor) // step
    while _boundary(anchor, step, k, zone) > t:
        k -= 1
    while _boundary(anchor, step, k + 1, zone) <= t:
        k += 1
    return k, _boundary(anchor, step, k, zone), _boundary(anchor, step, k + 1, zone)


def _windows(
    layer: Layer, zone: ZoneInfo, first: date, last: date
) -> Iterator[tuple[datetime, datetime]]:
    """Restriction windows of the days first..last (local dates)."""
    day = first
    while day <= last:
        for restriction in layer.restrictions:
            window = restriction.window(day, zone)
            if window is not None:
                yield window
        day += timedelta(days=1)


def _in_window(layer: Layer, zone: ZoneInfo, t: datetime) -> bool:
    if not layer.restrictions:
        return True
    today = local(t, zone).date()
    # A window that began on an earlier day may still be open: look back as many days as
    # the longest window lasts, and two more (its start time within the day, and a DST
    # hour), instead of the whole week a window may last.
    back = timedelta(days=max(r.duration for r in layer.restrictions).days + 2)
    return any(start <= t < end for start, end in _windows(layer, zone, today - back, today))


def _active(layer: Layer, zone: ZoneInfo, t: datetime) -> bool:
    if t < layer.start or (layer.end is not None and t >= layer.end):
        return False
    return _in_window(layer, zone, t)


def _user(layer: Layer, zone: ZoneInfo, t: datetime) -> str:
    k, _, _ = _turn(layer, zone, t)
    return layer.users[k % len(layer.users)]


# -- the schedule -------------------------------------------------------------------------


def oncall_at(schedule: Schedule, t: datetime) -> str | None:
    """Who is on call at ``t``: the last override covering it, else the current user of the
    last active layer, else nobody."""
    for override in reversed(schedule.overrides):
        if override.start <= t < override.end:
            return override.user
    for layer in reversed(schedule.layers):
        if _active(layer, schedule.zone, t):
            return _user(layer, schedule.zone, t)
    return None


def _changes(schedule: Schedule, start: datetime, end: datetime) -> set[datetime]:
    """Every instant in [start, end) at which who is on call may change."""
    zone = schedule.zone
    points = {start}
    for override in schedule.overrides:
        points.update((override.start, override.end))
    first_day = local(start, zone).date() - timedelta(days=8)
    last_day = local(end, zone).date() + timedelta(days=1)
    for layer in schedule.layers:
        points.add(layer.start)
        if layer.end is not None:
            points.add(layer.end)
        for window_start, window_end in _windows(layer, zone, first_day, last_day):
            points.update((window_start, window_end))
        begin = max(start, layer.start)
        if layer.end is not None and layer.end <= begin:
            continue
        anchor, step = _anchor(layer, zone), layer.rotation.step
        k, _, boundary = _turn(layer, zone, begin)
        while boundary < end and (layer.end is None or boundary < layer.end):
            points.add(boundary)
            k += 1
            boundary = _boundary(anchor, step, k + 1, zone)
    return {p for p in points if start <= p < end}


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The final shifts within [start, end): maximal runs of one person, clipped to the
    range, in order; gaps give no entry."""
    if end <= start:
        return []
    points = sorted(_changes(schedule, start, end))
    out: list[Shift] = []
    for i, at in enumerate(points):
        until = points[i + 1] if i + 1 < len(points) else end
        user = oncall_at(schedule, at)
        if user is None:
            continue
        if out and out[-1].user == user and out[-1].end == at:
            out[-1] = Shift(user, out[-1].start, until)
        else:
            out.append(Shift(user, at, until))
    return out
