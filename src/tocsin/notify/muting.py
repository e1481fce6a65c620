"""The muting stages of a group's tick, in Alertmanager's order: time intervals, inhibition,
silences. Each takes the alerts that are left and returns fewer (or all, or none)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Alert
from tocsin.domain.inhibition import Inhibitor, SourceAlert
from tocsin.domain.routing import Route
from tocsin.domain.silences import Silencer
from tocsin.domain.time_intervals import TimeInterval
from tocsin.store import alerts as alert_store
from tocsin.store import silences as silence_store

__all__ = ["Muting", "MutingLoader", "time_muted"]


def time_muted(route: Route, intervals: Mapping[str, TimeInterval], now: datetime) -> str | None:
    """Why the route sends nothing now (a mute interval holds, or no active one does)."""
    for name in route.mute_time_intervals:
        interval = intervals.get(name)
        if interval is not None and interval.contains(now):
            return f"muted by time interval {name}"
    if route.active_time_intervals and not any(
        intervals[n].contains(now) for n in route.active_time_intervals if n in intervals
    ):
        return "outside its active time intervals"
    return None


@dataclass(frozen=True)
class Muting:
    """What mutes alerts at one instant."""

    inhibitor: Inhibitor
    silencer: Silencer
    now: datetime

    def inhibited(self, alert: Alert) -> bool:
        return self.inhibitor.mutes(alert.labels, self.now)

    def silenced(self, alert: Alert) -> bool:
        return self.silencer.mutes(alert.labels, self.now)

    def unmuted(self, alerts: list[Alert]) -> list[Alert]:
        return [a for a in alerts if not self.inhibited(a) and not self.silenced(a)]


class MutingLoader:
    """Loads what mutes alerts now; ticks run in one transaction share one load."""

    def __init__(self, routing: Callable[[], RoutingConfig | None]) -> None:
        self.routing = routing
        self._last: tuple[object, datetime, Muting] | None = None

    def __call__(self, conn: Connection, now: datetime) -> Muting:
        transaction = conn.get_transaction()
        if self._last is not None and self._last[0] is transaction and self._last[1] == now:
            return self._last[2]
        config = self.routing()
        rules = config.inhibit_rules if config is not None else ()
        sources = (
            [
                SourceAlert(a.fingerprint, a.labels, a.ends_at)
                for a in alert_store.list_heads(conn, open_at=now)
            ]
            if rules
            else []
        )
        muting = Muting(
            Inhibitor(rules, sources),
            Silencer(silence_store.active_or_pending(conn, now)),
            now,
        )
        self._last = (transaction, now, muting)
        return muting
