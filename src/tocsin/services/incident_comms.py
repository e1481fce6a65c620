"""One stakeholder update, everywhere at once: the incident's timeline and rooms (Slack,
Teams) and, when asked, the public status page, in one transaction.

The status page gets its own words: an internal incident publishes a public incident the
first time (with a public title), and later updates go to that public incident until it
is resolved. Nothing of the internal update's text reaches the public page unless it is
given as the public body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.domain.incident_updates import UpdateParts
from tocsin.domain.incidents import Incident
from tocsin.engine.clock import Clock
from tocsin.errors import FieldProblem, InputError
from tocsin.notify.incident_desk import Desk
from tocsin.notify.status_changes import StatusDesk
from tocsin.store import incidents as incident_store
from tocsin.store import status_incidents
from tocsin.store.database import Database
from tocsin.store.status_incidents import INCIDENT, PublicIncident

__all__ = ["IncidentComms", "PublicUpdate"]


@dataclass(frozen=True)
class PublicUpdate:
    """What the status page says."""

    #: investigating, identified, monitoring or resolved.
    status: str
    #: The public words (never the internal update's, unless repeated here).
    body: str
    #: The public title; needed the first time an incident is published.
    name: str | None = None
    #: none, minor, major or critical (default: from the components it sets).
    impact: str | None = None
    #: Component id -> status (operational, degraded_performance, ...).
    components: Mapping[int, str] = field(default_factory=dict)


class IncidentComms:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        desk: Desk,
        status_desk: StatusDesk,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.desk = desk
        self.status_desk = status_desk
        self.wake = wake

    def post_update(
        self,
        incident_id: int,
        actor: str,
        parts: UpdateParts,
        *,
        next_in: timedelta | None = None,
        public: PublicUpdate | None = None,
    ) -> tuple[Incident, PublicIncident | None]:
        def work(conn: Connection) -> tuple[Incident, PublicIncident | None]:
            now = self.clock.now()
            incident = self.desk.post_update(conn, incident_id, parts, actor, now, next_in=next_in)
            published = self._publish(conn, incident, public, actor, now) if public else None
            return incident, published

        done = self.db.transact(work)
        self.wake()
        return done

    def _publish(
        self, conn: Connection, incident: Incident, public: PublicUpdate, actor: str, now: datetime
    ) -> PublicIncident:
        if not public.body.strip():
            raise InputError(FieldProblem("statusPage.body", "the status page needs words"))
        if incident.drill:  # docs/drills.md: practice never reaches the public
            raise InputError(FieldProblem("statusPage", "a drill is never on the status page"))
        current = next(
            (p for p in status_incidents.linked_to(conn, incident.id) if p.resolved_at is None),
            None,
        )
        if current is not None:
            done = self.status_desk.post_update(
                conn,
                current.id,
                status=public.status,
                body=public.body.strip(),
                components=public.components,
                actor=actor,
                now=now,
                impact=public.impact,
            )
            verb = "Updated"
        else:
            if not (public.name or "").strip():
                raise InputError(
                    FieldProblem("statusPage.name", "a first public post needs a public title")
                )
            done = self.status_desk.publish(
                conn,
                kind=INCIDENT,
                name=(public.name or "").strip()[:500],
                status=public.status,
                body=public.body.strip(),
                impact=public.impact,
                components=public.components,
                actor=actor,
                now=now,
                incident_id=incident.id,
            )
            verb = "Published"
        incident_store.add_event(
            conn,
            incident.id,
            now,
            "status-page",
            actor,
            f"{verb} on the status page ({done.status}): {public.body.strip()}",
            {"public_id": done.id, "status": done.status},
        )
        return done
