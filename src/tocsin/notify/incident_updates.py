"""Stakeholder updates and their cadence.

An open incident whose severity has a cadence (``incidents.update_every``) owes its
stakeholders an update every so often: ``next_update_at`` is set when it opens (or is
raised to such a severity), moved by every update posted, and cleared when it resolves.
The ``incident.update-due`` timer fires when it passes: the timeline says the update is
overdue, and the commander and communications lead (else whoever acknowledged it) are
reminded, in the incident's room and in person (Slack when they have it, else email),
then again every cadence period until an update is posted.

An update is a timeline entry (``status-update``) carrying its parts (what is affected,
status, impact, actions, next update); rooms post it to their channel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.incident_updates import UpdateParts
from tocsin.domain.incidents import Incident
from tocsin.domain.users import ContactMethod, User
from tocsin.engine.runner import Again
from tocsin.notify import incident_rooms as rooms
from tocsin.notify.messages import post
from tocsin.store import incidents as store
from tocsin.store import timers as timer_store
from tocsin.store.timers import Timer

__all__ = ["UPDATE_DUE", "Updates"]

UPDATE_DUE = "incident.update-due"
ENGINE = "tocsin"


def _cadence(config: RoutingConfig | None, incident: Incident) -> timedelta | None:
    if config is None:
        return None
    return config.incidents.chat.update_every.get(incident.severity)


def _due(conn: Connection, incident_id: int, when: datetime | None) -> None:
    store.update_incident(conn, incident_id, {"next_update_at": when})
    if when is None:
        timer_store.cancel(conn, UPDATE_DUE, str(incident_id))
    else:
        timer_store.schedule(conn, UPDATE_DUE, str(incident_id), when)


class Updates:
    def __init__(
        self, routing: Callable[[], RoutingConfig | None], link: Callable[[int], str]
    ) -> None:
        self.routing = routing
        self.link = link

    def keep_cadence(self, conn: Connection, incident: Incident, now: datetime) -> bool:
        """An open incident with a cadence has an update due; a resolved one none. Whether
        that changed anything."""
        if not incident.is_open:
            if incident.next_update_at is None:
                return False
            _due(conn, incident.id, None)
            return True
        every = _cadence(self.routing(), incident)
        if every is None or incident.next_update_at is not None:
            return False
        _due(conn, incident.id, now + every)
        return True

    def severity_changed(self, conn: Connection, incident: Incident, now: datetime) -> None:
        """The cadence follows the severity: none now, no update owed; a shorter one, the
        next update no later than one period from now."""
        every = _cadence(self.routing(), incident)
        due = incident.next_update_at
        if not incident.is_open:
            return
        if every is None:
            if due is not None:
                _due(conn, incident.id, None)
        elif due is None or due > now + every:
            _due(conn, incident.id, now + every)

    def post(
        self,
        conn: Connection,
        incident: Incident,
        parts: UpdateParts,
        actor: str,
        now: datetime,
        *,
        next_in: timedelta | None = None,
    ) -> datetime | None:
        """Record an update; when the next one is due (None: no cadence, or resolved)."""
        every = next_in or _cadence(self.routing(), incident)
        due = now + every if every is not None and incident.is_open else None
        store.add_event(
            conn,
            incident.id,
            now,
            "status-update",
            actor,
            parts.text(due),
            {**parts.as_data(), "next_update_at": due.isoformat() if due else None},
        )
        _due(conn, incident.id, due)
        return due

    def due(self, conn: Connection, timer: Timer, now: datetime) -> Again | None:
        """``incident.update-due``: the update is late; remind, and again later."""
        incident = store.get(conn, int(timer.key))
        if incident is None or not incident.is_open or incident.next_update_at is None:
            return None
        if incident.next_update_at > now:
            return Again(incident.next_update_at)  # moved meanwhile
        config = self.routing()
        every = _cadence(config, incident) or timedelta(minutes=30)
        late = now - incident.next_update_at
        people = _owners(incident)
        minutes = int(late.total_seconds() // 60)
        text = (
            f"A stakeholder update is due (since {incident.next_update_at:%H:%M} UTC"
            + (f", {minutes} min late" if minutes else "")
            + ")"
            + (": " + ", ".join(people) if people else ": nobody holds the commander role")
        )
        store.add_event(conn, incident.id, now, "update-due", ENGINE, text, {"remind": people})
        users = config.users if config is not None else {}
        for user in people:
            person = users.get(user)
            if person is None:
                continue
            method = _reach(person, rooms.slack_app(config) is not None)
            if method is None:
                continue  # the timeline and the room say it; there is nowhere else
            post(
                conn,
                {user: person},
                user=user,
                kind="update-due",
                subject=f"Update due for incident #{incident.id}: {incident.title}",
                body=(
                    f"Stakeholders expect an update on incident #{incident.id} "
                    f"({incident.severity.value}, {incident.status.value}); it was due at "
                    f"{incident.next_update_at:%H:%M} UTC. Post one from the incident's page "
                    f"or with /tocsin update."
                ),
                dedup=f"update-due/{incident.id}/{now.isoformat()}/{user}",
                now=now,
                method=method,
                incident_id=incident.id,
                details={"link": self.link(incident.id)},
            )
        rooms.touch(conn, incident.id, now)
        return Again(now + every)


def _reach(person: User, slack: bool) -> ContactMethod | None:
    """How to remind someone: Slack when there is an app and they have an id there, else
    email, else their webhook or push topic."""
    if slack and person.slack_user_id:
        return ContactMethod.SLACK
    for method in (ContactMethod.EMAIL, ContactMethod.WEBHOOK, ContactMethod.PUSH):
        if person.address(method):
            return method
    return None


def _owners(incident: Incident) -> list[str]:
    """Who owes the update: the commander and communications lead, else the acknowledger."""
    roles: Mapping[str, object] = incident.roles
    found = [str(roles[r]) for r in ("commander", "communications") if roles.get(r)]
    if not found and incident.acknowledged_by:
        found = [incident.acknowledged_by]
    return list(dict.fromkeys(found))
