"""Repeat incidents (``domain.repeats``): for one incident, for a list, and how many
incidents of a period repeat an earlier one (for reports)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.learning_policy import HealthPolicy
from tocsin.domain.repeats import Repeat, repeating_ids, repeats
from tocsin.store import repeats as store
from tocsin.store.database import Database

__all__ = [
    "count_repeats_in",
    "repeat_finder",
    "repeat_ids_in",
    "repeat_window",
    "repeats_among",
    "repeats_of",
]

_JUST_AFTER = timedelta(microseconds=1)


def repeat_window(config: RoutingConfig | None) -> timedelta:
    """``reports.repeat_window`` (default 30 days)."""
    return (config.health if config is not None else HealthPolicy()).repeat_window


def repeats_of(db: Database, config: RoutingConfig | None, incident_id: int) -> list[Repeat]:
    """The earlier incidents ``incident_id`` repeats, newest first."""
    return repeats_among(db, config, [incident_id]).get(incident_id, [])


def repeats_among(
    db: Database, config: RoutingConfig | None, incident_ids: Collection[int]
) -> dict[int, list[Repeat]]:
    """For each incident of ``incident_ids`` (that exists and was not merged away): the
    earlier incidents it repeats, newest first."""
    if not incident_ids:
        return {}
    window = repeat_window(config)
    with db.read() as conn:
        wanted = store.facts(conn, ids=incident_ids)
        if not wanted:
            return {}
        earlier = store.facts(
            conn,
            since=min(f.created_at for f in wanted) - window,
            until=max(f.created_at for f in wanted) + _JUST_AFTER,
        )
    return repeats(wanted, window, earlier)


def repeat_ids_in(conn: Connection, start: datetime, end: datetime, window: timedelta) -> set[int]:
    """The incidents opened in [start, end) that repeat an earlier incident (which may be
    from before ``start``), in the caller's transaction."""
    period = store.facts(conn, since=start, until=end)
    before = store.facts(conn, since=start - window, until=start)
    return repeating_ids(period, window, before)


def count_repeats_in(conn: Connection, start: datetime, end: datetime, window: timedelta) -> int:
    """How many incidents opened in [start, end) repeat an earlier one."""
    return len(repeat_ids_in(conn, start, end, window))


def repeat_finder(
    db: Database, config: Callable[[], RoutingConfig | None]
) -> Callable[[datetime, datetime], set[int]]:
    """``find(start, end)``: the repeat incidents opened in [start, end), under the repeat
    window in force (for reports)."""

    def find(start: datetime, end: datetime) -> set[int]:
        with db.read() as conn:
            return repeat_ids_in(conn, start, end, repeat_window(config()))

    return find
