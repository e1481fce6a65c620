"""Heartbeats, as durable timers: each heartbeat that is waiting or up has a
``heartbeat.check`` timer (key: its name) due at its deadline; a ping moves it. When it
fires, the heartbeat is down and a ``HeartbeatMissing`` alert is raised into the alert
pipeline (routed, grouped, silenced and escalated like any other); the next ping resolves it.

The alert is raised without an end (it fires until Tocsin resolves it): renewing an endsAt
would let a long outage of Tocsin itself resolve the alert and page anew when Tocsin comes
back, where a heartbeat that was down must simply stay down.

Locks, on PostgreSQL: the timer first, then the heartbeat's row, in the engine's order, so a
ping and the check queue rather than deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Action, AlertEvent, Identity
from tocsin.domain.heartbeats import (
    DownReason,
    Heartbeat,
    HeartbeatState,
    HeartbeatStatus,
    alert_annotations,
    alert_labels,
)
from tocsin.domain.labels import fingerprint
from tocsin.engine.runner import Again
from tocsin.store import heartbeats as store
from tocsin.store import timers as timer_store
from tocsin.store.config_versions import CATCH_UP, Behind, never_behind
from tocsin.store.timers import Timer

__all__ = ["CHECK", "HeartbeatWatch"]

CHECK = "heartbeat.check"

#: Stores alerts Tocsin raises itself, in the caller's transaction, and groups them.
RaiseAlerts = Callable[[Connection, Sequence[AlertEvent], datetime], None]


class HeartbeatWatch:
    def __init__(
        self,
        current: Callable[[], RoutingConfig | None],
        raise_alerts: RaiseAlerts,
        external_url: str,
        behind: Behind = never_behind,
    ) -> None:
        self.current = current
        self.raise_alerts = raise_alerts
        self.external_url = external_url.rstrip("/")
        self.behind = behind

    def spec(self, name: str) -> Heartbeat | None:
        config = self.current()
        return config.heartbeats.get(name) if config is not None else None

    # -- the deadline -----------------------------------------------------------------------

    def check(self, conn: Connection, timer: Timer, now: datetime) -> Again | None:
        """The timer of one heartbeat: down if its deadline has passed, else wait on."""
        spec = self.spec(timer.key)
        status = store.by_name(conn, timer.key, lock=True)
        if spec is None and status is not None and self.behind(conn):
            return Again(now + CATCH_UP)  # another node applied a configuration that has it
        if spec is None or status is None or status.retired_at is not None:
            return None  # removed from the file: retired by the next start or reload
        deadline = status.deadline(spec)
        if deadline is None:
            return None  # down already
        if now < deadline:
            return Again(deadline)
        self._down(conn, spec, status, DownReason.MISSED, deadline, now)
        return None

    def schedule(self, conn: Connection, spec: Heartbeat, status: HeartbeatStatus) -> None:
        """(Re)set the timer of a heartbeat that is waiting or up to its deadline."""
        deadline = status.deadline(spec)
        if deadline is None:
            timer_store.cancel(conn, CHECK, spec.name)
        else:
            timer_store.schedule(conn, CHECK, spec.name, deadline)

    # -- pings --------------------------------------------------------------------------------

    def lock(self, conn: Connection, name: str) -> HeartbeatStatus | None:
        """The heartbeat's row, held (with its timer) until the transaction ends."""
        timer_store.lock_keys(conn, [CHECK], name)
        return store.by_name(conn, name, lock=True)

    def ping(
        self,
        conn: Connection,
        spec: Heartbeat,
        status: HeartbeatStatus,
        now: datetime,
        source: str,
    ) -> HeartbeatStatus:
        """A ping: up again (its alert resolved if it was down), the deadline moved."""
        if status.state is HeartbeatState.DOWN:
            self._resolve(conn, status, now)
        store.update_row(
            conn,
            spec.name,
            state=HeartbeatState.UP,
            counting_from=now,
            last_ping_at=now,
            last_ping_source=source,
            pings=status.pings + 1,
            down_since=None,
            down_reason=None,
            alert_labels=None,
        )
        up = HeartbeatStatus(
            name=spec.name,
            state=HeartbeatState.UP,
            first_seen_at=status.first_seen_at,
            counting_from=now,
            last_ping_at=now,
            last_ping_source=source,
            pings=status.pings + 1,
            token_rotated_at=status.token_rotated_at,
        )
        self.schedule(conn, spec, up)
        return up

    def fail(
        self,
        conn: Connection,
        spec: Heartbeat,
        status: HeartbeatStatus,
        now: datetime,
        source: str,
    ) -> None:
        """The sender says the job failed: down at once (a ping to /fail)."""
        store.update_row(
            conn,
            spec.name,
            last_ping_at=now,
            last_ping_source=source,
            pings=status.pings + 1,
        )
        self._down(conn, spec, status, DownReason.FAILED, now, now)

    # -- the alert ----------------------------------------------------------------------------

    def _down(
        self,
        conn: Connection,
        spec: Heartbeat,
        status: HeartbeatStatus,
        reason: DownReason,
        since: datetime,
        now: datetime,
    ) -> None:
        labels = dict(status.alert_labels) if status.alert_labels else alert_labels(spec)
        store.update_row(
            conn,
            spec.name,
            state=HeartbeatState.DOWN,
            down_since=status.down_since or since,
            down_reason=reason,
            alert_labels=labels,
        )
        timer_store.cancel(conn, CHECK, spec.name)
        event = AlertEvent(
            fingerprint=fingerprint(labels),
            identity=Identity.LABELS,
            action=Action.TRIGGER,
            labels=labels,
            annotations=alert_annotations(spec, status, reason, now),
            generator_url=f"{self.external_url}/heartbeats#heartbeat-{spec.name}",
        )
        self.raise_alerts(conn, [event], now)

    def _resolve(self, conn: Connection, status: HeartbeatStatus, now: datetime) -> None:
        if not status.alert_labels:
            return
        labels = dict(status.alert_labels)
        event = AlertEvent(
            fingerprint(labels), Identity.LABELS, Action.RESOLVE, labels, ends_at=now
        )
        self.raise_alerts(conn, [event], now)

    def retire(self, conn: Connection, status: HeartbeatStatus, now: datetime) -> None:
        """A heartbeat gone from the file: its alert resolved, its timer dropped."""
        self._resolve(conn, status, now)
        timer_store.cancel(conn, CHECK, status.name)
        store.update_row(
            conn,
            status.name,
            retired_at=now,
            state=HeartbeatState.WAITING,
            down_since=None,
            down_reason=None,
            alert_labels=None,
        )

    def revive(
        self, conn: Connection, spec: Heartbeat, status: HeartbeatStatus, now: datetime
    ) -> None:
        """A retired heartbeat back in the file: waiting again, from now, with its token."""
        store.update_row(
            conn, spec.name, retired_at=None, state=HeartbeatState.WAITING, counting_from=now
        )
        waiting = HeartbeatStatus(
            name=spec.name,
            state=HeartbeatState.WAITING,
            first_seen_at=status.first_seen_at,
            counting_from=now,
        )
        self.schedule(conn, spec, waiting)

    def postpone(
        self, conn: Connection, spec: Heartbeat, status: HeartbeatStatus, now: datetime
    ) -> None:
        """Tocsin was away while the heartbeat's ping was due (a ping then was refused, not
        missed): count again from now."""
        store.update_row(conn, spec.name, counting_from=now)
        self.schedule(conn, spec, replace(status, counting_from=now))
