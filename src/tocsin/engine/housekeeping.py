"""Housekeeping: resolve alerts whose endsAt passed, forget old resolved alerts and old
notifications, expire notification log entries (as Alertmanager's nflog does), trim the
log of re-sends that changed nothing, and forget status page subscribers who never
confirmed their address within 7 days.

One recurring timer (kind ``housekeeping``). Expiry is also applied at read time
(``domain.alerts.effective_status``), so what this does is make it durable and visible in the
event log, a few seconds after the fact at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.domain.alerts import Action, Outcome, expire
from tocsin.engine.runner import Again
from tocsin.store import accounts as account_store
from tocsin.store import alerts as alert_store
from tocsin.store import deliveries as delivery_store
from tocsin.store import groups as group_store
from tocsin.store import status_subscribers as status_subscriber_store
from tocsin.store import timers as timer_store
from tocsin.store.alerts import EventRow
from tocsin.store.timers import Timer

__all__ = ["KIND", "Housekeeping"]

KIND = "housekeeping"
_BATCH = 1000
#: Status page email subscribers who have not confirmed within this are forgotten.
UNCONFIRMED_RETENTION = timedelta(days=7)


@dataclass(frozen=True)
class Housekeeping:
    interval: timedelta
    retention: timedelta
    #: How long the log keeps re-sends that changed nothing (Prometheus repeats every firing
    #: alert each evaluation interval; kept forever they would outgrow everything else).
    unchanged_retention: timedelta = timedelta(days=1)

    def ensure_scheduled(self, conn: Connection, now: datetime) -> None:
        timer_store.schedule(conn, KIND, "main", now, replace=False)

    def __call__(self, conn: Connection, timer: Timer, now: datetime) -> Again:
        expire_alerts(conn, now)
        alert_store.delete_resolved_before(conn, now - self.retention, limit=_BATCH * 10)
        alert_store.delete_events_before(
            conn, Outcome.UNCHANGED.value, now - self.unchanged_retention, limit=_BATCH * 10
        )
        group_store.delete_expired_log(conn, now)
        account_store.delete_expired_sessions(conn, now)
        delivery_store.delete_finished_before(conn, now - self.retention, limit=_BATCH * 10)
        status_subscriber_store.delete_unconfirmed_before(
            conn, now - UNCONFIRMED_RETENTION, limit=_BATCH
        )
        return Again(now + self.interval)


def expire_alerts(conn: Connection, now: datetime) -> int:
    """Resolve open alerts whose endsAt is at or before ``now``; log each as an event."""
    expired = alert_store.open_expired(conn, now, _BATCH)
    changed = []
    events = []
    for alert in expired:
        changed.append((expire(alert, now), True))
        events.append(
            EventRow(
                alert_id=alert.id,
                fingerprint=alert.fingerprint,
                integration_id=alert.integration_id,
                received_at=now,
                action=Action.RESOLVE.value,
                outcome=Outcome.RESOLVED.value,
                payload={"expired": True},
            )
        )
    alert_store.update_alerts(conn, changed)
    alert_store.insert_events(conn, events)
    return len(changed)
