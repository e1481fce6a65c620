"""Drills: declared on an escalation policy (``tocsin drill run``, the API, the web form or a
schedule), paged through the real path, and reported on (docs/drills.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from tocsin.config.compile import RoutingConfig
from tocsin.domain.drills import (
    DrillReport,
    PageAttempt,
    ScheduledDrill,
    TimelineFact,
    drill_report,
    next_occurrence,
    page_position,
)
from tocsin.domain.incidents import Incident
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError, NotFound
from tocsin.services.incidents import IncidentService
from tocsin.store import drills as store
from tocsin.store import incidents as incident_store
from tocsin.store import messages as message_store
from tocsin.store.database import Database
from tocsin.store.drills import DrillRun

__all__ = ["DrillService", "Planned"]

#: Messages of a drill read for its report (a drill pages a handful of people).
MAX_PAGES = 2000


@dataclass(frozen=True)
class Planned:
    """A scheduled drill and its next occurrence."""

    drill: ScheduledDrill
    next_at: datetime | None


class DrillService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: Callable[[], RoutingConfig | None],
        incidents: IncidentService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.incidents = incidents

    def run(
        self,
        policy: str,
        actor: str,
        *,
        severity: str = "SEV3",
        title: str | None = None,
        summary: str = "",
    ) -> Incident:
        """Declare a drill on ``policy``: it pages at once."""
        config = self.config()
        if config is None or policy not in config.escalation_policies:
            raise InputError(FieldProblem("policy", f"no escalation policy {policy!r}"))
        return self.incidents.declare(
            title=(title or "").strip() or f"Drill of {policy}",
            severity=severity,
            actor=actor,
            summary=summary,
            policy=policy,
            drill=True,
        )

    def report(self, incident_id: int) -> DrillReport:
        with self.db.read() as conn:
            incident = incident_store.get(conn, incident_id)
            if incident is None:
                raise NotFound(f"no incident {incident_id}")
            if not incident.drill:
                raise NotFound(f"incident {incident_id} is not a drill")
            events = incident_store.events(conn, incident_id)
            messages = message_store.recent(conn, incident_id=incident_id, limit=MAX_PAGES)
        timeline = [TimelineFact(e.at, e.kind, e.actor, e.text, e.data) for e in events]
        pages = [
            PageAttempt(
                user=m.user,
                method=m.method,
                status=m.status,
                created_at=m.created_at,
                sent_at=m.sent_at,
                error=m.last_error,
                position=page_position(str(m.details.get("idempotency_key", ""))),
                message=m.id,
                addressed=m.address is not None,
            )
            for m in messages
            if m.kind in ("page", "responder")
        ]
        return drill_report(incident, timeline, pages)

    def drills(self, limit: int = 50) -> list[DrillReport]:
        """The newest drills, each with its report."""
        with self.db.read() as conn:
            ids = store.drill_ids(conn, limit)
        return [self.report(i) for i in ids]

    def schedule(self) -> list[Planned]:
        config = self.config()
        now = self.clock.now()
        scheduled = config.drills.scheduled if config is not None else ()
        return [Planned(d, next_occurrence(d, now)) for d in scheduled]

    def runs(self, limit: int = 50) -> list[DrillRun]:
        """Scheduled drills that fired (or were skipped), newest first."""
        with self.db.read() as conn:
            return store.runs(conn, limit)
