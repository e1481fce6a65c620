"""The ``postmortem.watch`` job: every minute (a durable timer), draft the postmortem of each
incident that needs one by policy (``postmortems.required_for``) and was resolved since
the watch began, give a postmortem asked for before its incident ended its due date, and
remind the incident's commander and the authors (by email) when a required postmortem is
due within a day, and again when it has just become overdue (one message each, by dedup
key; a watch that was down for that whole day does not send it late).

It reads in one transaction, works out the SLOs burned with none open (Prometheus may be
asked), and stores the drafts, their timeline entries and the reminders in another.
Incidents resolved before the watch first ran get a postmortem only on request."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from tocsin.domain.incidents import Incident
from tocsin.domain.postmortems import Postmortem, due_at
from tocsin.engine.runner import Again
from tocsin.errors import TocsinError
from tocsin.notify import messages
from tocsin.notify.paging import ENGINE
from tocsin.services import postmortem_drafts as drafts
from tocsin.services.postmortems import PostmortemService
from tocsin.store import incidents as incident_store
from tocsin.store import postmortems as store
from tocsin.store.timers import Timer

__all__ = ["EVERY", "KIND", "PostmortemWatch", "first_payload"]

KIND = "postmortem.watch"
EVERY = timedelta(minutes=1)
#: Incidents resolved this long before a pass are looked at again (a resolution whose
#: transaction committed late is not missed; one with a postmortem is skipped).
OVERLAP = timedelta(hours=1)
#: A required postmortem's people are reminded when it is due within this.
DUE_SOON = timedelta(days=1)

log = logging.getLogger(__name__)


def first_payload(now: datetime) -> dict[str, Any]:
    """The watch's timer payload when it is first scheduled: incidents resolved from now."""
    return {"since": now.isoformat()}


@dataclass(frozen=True)
class _Work:
    now: datetime
    since: datetime
    facts: tuple[drafts.IncidentFacts, ...]


class PostmortemWatch:
    def __init__(self, service: PostmortemService) -> None:
        self.service = service

    def prepare(self, conn: Connection, timer: Timer, now: datetime) -> _Work:
        raw = timer.payload.get("since")
        since = datetime.fromisoformat(raw) if isinstance(raw, str) else now
        policy = self.service.policy
        ids = store.needing_draft(conn, sorted(policy.required_for), since)
        return _Work(now, since, tuple(drafts.read_facts(conn, i) for i in ids))

    def perform(self, work: _Work) -> list[Postmortem]:
        made = []
        config = self.service.config()
        for facts in work.facts:
            try:
                slos = drafts.slo_facts(self.service.slos, facts.incident, facts.heads.values())
                made.append(drafts.draft(facts, slos, config, ENGINE, work.now))
            except (TocsinError, ValueError):
                log.exception("postmortem of incident %s not drafted", facts.incident.id)
        return made

    def complete(
        self, conn: Connection, timer: Timer, work: _Work, result: list[Postmortem], now: datetime
    ) -> Again:
        for new in result:
            self.service.store_draft(conn, new, now)
        policy = self.service.policy
        for incident_id, resolved_at in store.unset_due(conn):
            store.set_due(conn, incident_id, due_at(resolved_at, policy), now)
        self._remind(conn, now)
        since = max(work.since, work.now - OVERLAP)
        return Again(work.now + EVERY, {"since": since.isoformat()})

    def _remind(self, conn: Connection, now: datetime) -> None:
        config = self.service.config()
        if config is None:
            return
        # Due within a day ("due soon"), or for less than a day ("overdue"): each once.
        for pm in store.reminders_due(conn, now - DUE_SOON, now + DUE_SOON):
            incident = incident_store.get(conn, pm.incident_id)
            if incident is None or pm.due_at is None:
                continue
            overdue = pm.overdue(now)
            for user in _people(incident, pm):
                person = config.users.get(user)
                if person is None or not person.email:
                    continue
                messages.post(
                    conn,
                    config.users,
                    user=user,
                    kind="postmortem-reminder",
                    subject=_subject(incident, overdue),
                    body=self._body(incident, pm, overdue),
                    dedup=f"postmortem:{pm.id}:{'overdue' if overdue else 'soon'}:"
                    f"{pm.due_at.isoformat()}:{user}",
                    now=now,
                    details={"incident": incident.id, "postmortem": pm.id},
                )

    def _body(self, incident: Incident, pm: Postmortem, overdue: bool) -> str:
        assert pm.due_at is not None
        zone = self.service.policy.time_zone
        due = f"the end of {pm.due_at.astimezone(ZoneInfo(zone)):%Y-%m-%d} ({zone})"
        when = f"was due by {due}" if overdue else f"is due by {due}"
        return (
            f"The postmortem of incident #{incident.id} ({incident.title}) {when}; it is "
            f"{pm.state.words}.\n\n{self.service.public_url}/incidents/{incident.id}/postmortem"
        )


def _people(incident: Incident, pm: Postmortem) -> list[str]:
    commander = incident.roles.get("commander")
    return list(dict.fromkeys([*([str(commander)] if commander else []), *pm.authors]))


def _subject(incident: Incident, overdue: bool) -> str:
    what = "overdue" if overdue else "due soon"
    return f"Postmortem {what}: #{incident.id} {incident.title}"[:200]
