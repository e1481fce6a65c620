"""Putting alerts into aggregation groups (Alertmanager's dispatcher), durably.

Called in the transaction that stores the alerts, so an alert acknowledged with a 2xx is
already in its groups, and a new group's first tick is already a timer: a restart between
the two cannot lose a notification.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Alert, effective_status
from tocsin.domain.grouping import first_flush_at, group_key
from tocsin.domain.routing import match_routes
from tocsin.store import alerts as alert_store
from tocsin.store import groups as group_store
from tocsin.store import timers as timer_store

__all__ = ["FLUSH", "Dispatcher"]

#: The timer kind of a group's ticks; its key is the group's id.
FLUSH = "group.flush"


class Dispatcher:
    def __init__(self, routing: Callable[[], RoutingConfig | None]) -> None:
        self.routing = routing

    def assign(self, conn: Connection, alerts: Iterable[Alert], now: datetime) -> list[int]:
        """Put each alert in the groups of every route it reaches; return the groups that
        became due now (to flush at once)."""
        config = self.routing()
        if config is None:
            return []
        due_now: set[int] = set()
        wanted = [
            (alert, route, labels, group_store.group_ident(route.id, labels))
            for alert in alerts
            if alert.is_open  # a resolved alert is already in its groups, or never needs one
            for route in match_routes(config.route, alert.labels)
            for labels in (route.group_by.key_of(alert.labels),)
        ]
        groups = group_store.groups_by_ident(conn, {ident for *_, ident in wanted})
        # New groups, created together; the first flush is the earliest any alert asks for.
        new: dict[str, dict[str, object]] = {}
        for alert, route, labels, ident in wanted:
            if ident in groups:
                continue
            first = first_flush_at(now, route.group_wait, alert.starts_at)
            planned = new.get(ident)
            if planned is None:
                new[ident] = {
                    "ident": ident,
                    "route_id": route.id,
                    "group_key": group_key(route.key, labels),
                    "receiver": route.receiver,
                    "labels": labels,
                    "created_at": now,
                    "first_flush_at": first,
                    "flushed_at": None,
                }
            elif first < planned["first_flush_at"]:  # type: ignore[operator]
                planned["first_flush_at"] = first
        created = group_store.create_groups(conn, list(new.values()))
        timer_store.create_many(conn, FLUSH, [(str(g.id), g.first_flush_at) for g in created])
        for group in created:
            groups[group.ident] = group
            if group.first_flush_at <= now:
                due_now.add(group.id)
        members: list[tuple[int, str]] = []
        for alert, route, _, ident in wanted:
            group = groups[ident]
            first = first_flush_at(now, route.group_wait, alert.starts_at)
            if (
                group.flushed_at is None
                and first < group.first_flush_at
                and _unflushed(conn, group.id)
            ):
                # An old alert makes a group that has not flushed yet flush at once.
                timer_store.schedule(conn, FLUSH, str(group.id), first)
                group_store.set_first_flush(conn, group.id, first)
                groups[ident] = group = replace(group, first_flush_at=first)
                due_now.add(group.id)
            members.append((group.id, alert.fingerprint))
        group_store.add_members(conn, members, now)
        return sorted(due_now)

    def resync(self, conn: Connection, now: datetime) -> list[int]:
        """Group every open alert under the current configuration (at start and after a
        reload: new routes get their groups; groups of removed routes end at their tick)."""
        open_alerts = [
            a
            for a in alert_store.list_heads(conn, open_at=now)
            if effective_status(a, now).value != "resolved"
        ]
        return self.assign(conn, open_alerts, now)


def _unflushed(conn: Connection, group_id: int) -> bool:
    """Whether the group has still not flushed, once any node flushing it now (holding its
    timer) has finished: read after taking the timer, so a flush committed meanwhile on
    another node is seen and the group is not flushed twice."""
    timer_store.lock_keys(conn, [FLUSH], str(group_id))
    fresh = group_store.get_groups(conn, [group_id]).get(group_id)
    return fresh is not None and fresh.flushed_at is None
