"""A schedule drawn as a timeline: one row per layer, a row of overrides, and the final row
(what the schedule says after restrictions and overrides), days left to right in the
viewer's time zone.

Pure: every instant is a parameter, and the output is geometry and words for the template
(``oncall/calendar.html`` turns it into SVG, plus a table that says the same in text).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from tocsin.domain.coverage import Gap, Handoff, Turn, gaps_between, handoffs, turn_at
from tocsin.domain.schedules import Schedule, Shift, shifts
from tocsin.domain.wallclock import start_of_day

__all__ = [
    "DAY_CHOICES",
    "Block",
    "Day",
    "Drawing",
    "Row",
    "ScheduleView",
    "Slot",
    "iso",
    "override_link",
    "period",
    "stamp",
    "view",
]

#: The lengths the page offers, in days.
DAY_CHOICES = (7, 14, 28)
#: Width of the row labels, and of one day, in SVG units (a day narrows as days grow).
LEFT = 112.0
DAY_WIDTH = {7: 124.0, 14: 66.0, 28: 40.0}
HEADER = 48.0
ROW = 30.0
ROW_GAP = 6.0
#: Roughly how wide one character of a block's label is, in SVG units.
CHAR = 6.6
#: How many differently filled people the stylesheet has (person-0 .. person-7).
COLOURS = 8


def iso(at: datetime) -> str:
    """An instant for a URL or a ``datetime`` attribute: UTC, ``Z``, no plus sign to escape."""
    return at.astimezone(ZoneInfo("UTC")).replace(tzinfo=None).isoformat() + "Z"


def stamp(at: datetime, zone: ZoneInfo) -> str:
    """A moment in full, as a table shows it: ``Sun 1 Mar 20:00``."""
    here = at.astimezone(zone)
    return f"{here:%a} {here.day} {here:%b %H:%M}"


def override_link(schedule: str, start: datetime, end: datetime, user: str = "") -> str:
    """The override form, prefilled with [start, end) (and who takes over, if given)."""
    query = {"start": iso(start), "end": iso(end)}
    if user:
        query["user"] = user
    return f"/oncall/{quote(schedule, safe='')}/override?{urlencode(query)}"


def period(now: datetime, zone: ZoneInfo, days: int) -> tuple[datetime, datetime]:
    """From the start of today in ``zone`` to the start of the day ``days`` later."""
    today = now.astimezone(zone).date()
    first = start_of_day(today, zone)
    last = start_of_day(today + timedelta(days=days), zone)
    return first, last


@dataclass(frozen=True)
class Block:
    """One run of one person (``user`` None: a gap) on a row, and where it is drawn."""

    user: str | None
    start: datetime
    end: datetime
    x: float
    width: float
    #: The words the block carries, when they fit ("" otherwise; the title still says).
    text: str
    #: The stylesheet class that fills it.
    fill: str
    #: Where clicking it goes (the override form), or "".
    href: str
    #: The tooltip: who and when, in words.
    title: str


@dataclass(frozen=True)
class Row:
    label: str
    y: float
    blocks: tuple[Block, ...]
    final: bool = False


@dataclass(frozen=True)
class Day:
    x: float
    width: float
    weekday: str
    date: str
    weekend: bool


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    left: float
    rows: tuple[Row, ...]
    days: tuple[Day, ...]
    #: Where "now" is, if it is within the drawing.
    now_x: float | None


@dataclass(frozen=True)
class Slot:
    """A line of the text alternative: a final shift, or a gap (``user`` None)."""

    user: str | None
    start: datetime
    end: datetime
    href: str


@dataclass(frozen=True)
class ScheduleView:
    name: str
    zone: ZoneInfo
    drawing: Drawing
    #: The final shifts and gaps in order, for the table.
    slots: tuple[Slot, ...]
    #: The gaps alone (the slots without anybody).
    gaps: tuple[Slot, ...]
    now: Turn | None
    #: The next change of who is on call after now (within the drawing and a bit).
    handoff: Handoff | None


def _layer_alone(schedule: Schedule, index: int) -> Schedule:
    """The schedule as if it had only its ``index``-th layer and no overrides: that layer's
    own shifts, its restrictions applied."""
    return replace(schedule, layers=(schedule.layers[index],), overrides=())


def _overrides_alone(schedule: Schedule) -> Schedule:
    """Only the overrides: who they put on call, and nothing elsewhere."""
    return replace(schedule, layers=())


def _fills(users: Sequence[str]) -> dict[str, str]:
    return {user: f"person-{i % COLOURS}" for i, user in enumerate(users)}


def _fits(text: str, width: float) -> str:
    return text if len(text) * CHAR + 8 <= width else ""


def view(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    now: datetime,
    zone: ZoneInfo,
    people: Sequence[str],
    days: int,
) -> ScheduleView:
    """Everything the page shows of ``schedule`` over [start, end), seen from ``now``.
    ``people``: every user, in the order that gives each a fill (the same in every
    schedule)."""
    day_width = DAY_WIDTH.get(days, 66.0)
    span = (end - start).total_seconds()
    drawn = day_width * days
    fills = _fills(people)

    def x_of(at: datetime) -> float:
        return LEFT + drawn * (at - start).total_seconds() / span

    def block(user: str | None, s: datetime, e: datetime, href: str, row: str) -> Block:
        x, x_end = x_of(s), x_of(e)
        when = f"{stamp(s, zone)} to {stamp(e, zone)}"
        if user is None:
            return Block(None, s, e, x, x_end - x, "gap", "gap", href, f"Gap: nobody, {when}")
        title = f"{user} ({row}): {when}" if row else f"{user}: {when}"
        return Block(
            user,
            s,
            e,
            x,
            x_end - x,
            _fits(user, x_end - x),
            fills.get(user, "person-x"),
            href,
            title,
        )

    def link(s: datetime, e: datetime) -> str:
        return override_link(schedule.name, s, e) if e > now else ""

    rows: list[Row] = []
    y = HEADER
    for i, layer in enumerate(schedule.layers):
        own = shifts(_layer_alone(schedule, i), start, end)
        label = layer.name or f"Layer {i + 1}"
        rows.append(
            Row(label, y, tuple(block(s.user, s.start, s.end, "", "this layer") for s in own))
        )
        y += ROW + ROW_GAP
    overridden = [o for o in schedule.overrides if o.start < end and o.end > start]
    if overridden:
        own = shifts(_overrides_alone(schedule), start, end)
        blocks = tuple(block(s.user, s.start, s.end, "", "override") for s in own)
        rows.append(Row("Overrides", y, blocks))
        y += ROW + ROW_GAP
    final = shifts(schedule, start, end)
    holes = gaps_between(final, start, end)
    slots = _slots(final, holes, link)
    blocks = tuple(block(s.user, s.start, s.end, s.href, "") for s in slots)
    y += ROW_GAP
    rows.append(Row("Final", y, blocks, final=True))
    y += ROW + 4

    day_list = []
    for k in range(days):
        d = (start.astimezone(zone) + timedelta(days=k)).date()
        a = start_of_day(d, zone)
        b = start_of_day(d + timedelta(days=1), zone)
        # Narrow days say the month only where it starts (and in the first column).
        month = days < 28 or k == 0 or d.day == 1
        label = f"{d.day} {d:%b}" if month else str(d.day)
        day_list.append(Day(x_of(a), x_of(b) - x_of(a), f"{d:%a}", label, d.isoweekday() >= 6))
    drawing = Drawing(
        width=LEFT + drawn + 4,
        height=y,
        left=LEFT,
        rows=tuple(rows),
        days=tuple(day_list),
        now_x=x_of(now) if start <= now < end else None,
    )
    handoff = _next_handoff(slots, now)
    if handoff is None:  # none in the drawn days: look as far again beyond them
        later = handoffs(schedule, end, end + timedelta(days=days))
        handoff = later[0] if later else None
    return ScheduleView(
        name=schedule.name,
        zone=schedule.zone,
        drawing=drawing,
        slots=slots,
        gaps=tuple(s for s in slots if s.user is None),
        now=turn_at(schedule, now),
        handoff=handoff,
    )


def _next_handoff(slots: Sequence[Slot], now: datetime) -> Handoff | None:
    """The first change of who is on call after ``now``, among the drawn slots (shifts and
    gaps, in order, back to back)."""
    for before, after in zip(slots, slots[1:], strict=False):
        if after.start > now and before.user != after.user:
            return Handoff(after.start, before.user, after.user)
    return None


def _slots(
    final: Sequence[Shift], holes: Sequence[Gap], link: Callable[[datetime, datetime], str]
) -> tuple[Slot, ...]:
    """The final shifts and the gaps between them, in time order."""
    found = [Slot(s.user, s.start, s.end, link(s.start, s.end)) for s in final]
    found += [Slot(None, g.start, g.end, link(g.start, g.end)) for g in holes]
    return tuple(sorted(found, key=lambda s: s.start))
