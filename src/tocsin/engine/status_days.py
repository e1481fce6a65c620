"""Keeping finished days of the status page's uptime bars (``status_component_days``).

One recurring timer (kind ``status.days``) runs after each midnight of the page's time
zone: for every component, each of the last ``UPTIME_DAYS - 1`` finished days not kept yet
is worked out from the history (``domain.status_uptime.finished``: the same figures the
page would work out) and kept. Days missed while no engine ran are caught up; days of
another time zone (the page's changed: the service runs this at once) and days out of the
window are dropped. The page reads what is kept and works out the rest from the history.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Connection

from tocsin.domain.status_uptime import UPTIME_DAYS, day_bounds, finished, zone_of
from tocsin.domain.wallclock import start_of_day
from tocsin.engine.runner import Again
from tocsin.store import status_days as days_store
from tocsin.store import status_page as pages
from tocsin.store import timers as timer_store
from tocsin.store.status_days import KeptDay
from tocsin.store.timers import Timer

__all__ = ["KIND", "StatusDays"]

KIND = "status.days"
KEY = "main"


class StatusDays:
    def ensure_scheduled(self, conn: Connection, now: datetime) -> None:
        timer_store.schedule(conn, KIND, KEY, now, replace=False)

    @staticmethod
    def soon(conn: Connection, now: datetime) -> None:
        """Run now (the page's time zone changed)."""
        timer_store.schedule(conn, KIND, KEY, now)

    def __call__(self, conn: Connection, timer: Timer, now: datetime) -> Again:
        zone = zone_of(pages.page(conn, now).time_zone)
        today = now.astimezone(zone).date()
        keep(conn, today, now)
        return Again(start_of_day(today + timedelta(days=1), zone))


def keep(conn: Connection, today: date, now: datetime) -> int:
    """Keep every finished day of the window ending ``today`` not kept yet; how many."""
    zone = zone_of(pages.page(conn, now).time_zone)
    first = today - timedelta(days=UPTIME_DAYS - 1)
    last = today - timedelta(days=1)
    days_store.forget(conn, zone=zone.key, before=first)
    have = days_store.present(conn, zone.key, first, last)
    window = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    todo: dict[int, set[date]] = {}
    for c in pages.components(conn):
        missing = set(window) - have.get(c.id, set())
        if missing:
            todo[c.id] = missing
    if not todo:
        return 0
    earliest = min(min(days) for days in todo.values())
    count = (last - earliest).days + 1
    bounds = day_bounds(earliest, count, zone)
    changes = pages.history(conn, bounds[0], list(todo))
    rows: list[tuple[int, KeptDay]] = []
    for component_id, missing in todo.items():
        found = finished(
            changes.get(component_id, []),
            first=earliest,
            days=count,
            now=now,
            zone=zone,
            bounds=bounds,
        )
        rows += [(component_id, KeptDay(d, end)) for d, end in found if d.day in missing]
    days_store.save(conn, zone.key, rows)
    return len(rows)
