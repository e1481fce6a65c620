"""Reading alerts: listing with matchers, and looking one up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.domain.alerts import Alert, AlertStatus, effective_status
from tocsin.domain.incidents import Incident
from tocsin.domain.matchers import Matcher, matches_all
from tocsin.domain.noise import FlapPolicy, is_flapping
from tocsin.engine.clock import Clock
from tocsin.store import alerts as store
from tocsin.store import incidents as incident_store
from tocsin.store.database import Database

__all__ = ["AlertQuery", "AlertService"]


@dataclass(frozen=True)
class AlertQuery:
    matchers: Sequence[Matcher] = ()
    #: Only alerts open (firing or acknowledged) now.
    open_only: bool = False
    statuses: frozenset[AlertStatus] | None = None
    limit: int | None = None


class AlertService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def head(self, fingerprint: str) -> tuple[Alert, AlertStatus] | None:
        """The latest alert of ``fingerprint``, with its status as of now."""
        with self.db.read() as conn:
            found = store.load_heads(conn, [fingerprint]).get(fingerprint)
        return (found, effective_status(found, self.clock.now())) if found else None

    def recently_resolved(self, within: timedelta, matchers: Sequence[Matcher] = ()) -> list[Alert]:
        """Alerts (each fingerprint's latest) that stopped firing in the last ``within`` and
        have not fired again since, matching ``matchers``."""
        now = self.clock.now()
        with self.db.read() as conn:
            heads = store.resolved_heads(conn, now - within, now)
        return [
            a
            for a in heads
            if effective_status(a, now) is AlertStatus.RESOLVED and matches_all(matchers, a.labels)
        ]

    def history(self, fingerprint: str, limit: int = 100) -> list[store.EventRow]:
        """What sources said about ``fingerprint``, newest first, without the re-sends that
        changed nothing (its receive count says how many there were)."""
        with self.db.read() as conn:
            return store.events_of(conn, fingerprint, skip_outcomes=("unchanged",), limit=limit)

    def incidents_of(self, fingerprint: str) -> list[Incident]:
        """The incidents ``fingerprint``'s alerts were part of, latest first."""
        with self.db.read() as conn:
            found = (incident_store.get(conn, i) for i in store.incident_ids_of(conn, fingerprint))
            return [i for i in found if i is not None]

    def list(self, query: AlertQuery) -> list[tuple[Alert, AlertStatus]]:
        """Each fingerprint's latest alert that matches, with its status as of now."""
        now = self.clock.now()
        with self.db.read() as conn:
            heads = store.list_heads(conn, open_at=now if query.open_only else None)
        found: list[tuple[Alert, AlertStatus]] = []
        for alert in heads:
            status = effective_status(alert, now)
            if query.statuses is not None and status not in query.statuses:
                continue
            if not matches_all(query.matchers, alert.labels):
                continue
            found.append((alert, status))
            if query.limit is not None and len(found) >= query.limit:
                break
        return found

    def by_uid(self, uid: str) -> Alert | None:
        with self.db.read() as conn:
            return store.find_by_uid(conn, uid)

    def flapping(self, policies: Mapping[str, Sequence[FlapPolicy]], now: datetime) -> set[str]:
        """Which of these alerts (fingerprint -> the flap policies of their routes) are held
        as flapping now."""
        since = now - max(p.window + p.quiet for ps in policies.values() for p in ps)
        with self.db.read() as conn:
            changes = store.state_changes(conn, policies, since)
        return {
            fp
            for fp, ps in policies.items()
            if any(is_flapping(changes.get(fp, []), now, p) for p in ps)
        }
