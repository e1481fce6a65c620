"""A postmortem's first draft, from the facts of its incident: read in one transaction
(the incident, its timeline, its alerts, its action items), the SLOs it burned worked out
with no transaction open (``incident_slos``; Prometheus may be asked), then rendered by the
pure template (``domain/postmortem_template``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from tocsin.config.compile import RoutingConfig
from tocsin.domain.alerts import Alert
from tocsin.domain.incidents import Incident
from tocsin.domain.learning_policy import PostmortemPolicy
from tocsin.domain.postmortem_template import (
    DEFAULT_TEMPLATE,
    ActionItemFact,
    AlertFact,
    DraftFacts,
    SloFact,
    TimelineEntry,
    render,
)
from tocsin.domain.postmortems import (
    Postmortem,
    PostmortemState,
    due_at,
    is_required,
    normalise_body,
)
from tocsin.errors import NotFound
from tocsin.services.incident_slos import burn_words, burned_during
from tocsin.services.slos import SloService
from tocsin.store import alerts as alert_store
from tocsin.store import incidents as incident_store
from tocsin.store import postmortems as store
from tocsin.store.incidents import Event, IncidentAlert

__all__ = [
    "OWN_KIND",
    "IncidentFacts",
    "draft",
    "draft_facts",
    "names_of",
    "read_facts",
    "slo_facts",
    "timeline_entries",
]

#: The kind of the timeline entries postmortems write (left out of their own timeline).
OWN_KIND = "postmortem"


@dataclass(frozen=True)
class IncidentFacts:
    """What one read transaction knows about an incident, for its postmortem."""

    incident: Incident
    events: tuple[Event, ...]
    linked: tuple[IncidentAlert, ...]
    #: The linked alerts as last received, by fingerprint.
    heads: Mapping[str, Alert]
    action_items: tuple[ActionItemFact, ...]


def read_facts(conn: Connection, incident_id: int) -> IncidentFacts:
    incident = incident_store.get(conn, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    linked = incident_store.alerts_of(conn, [incident_id])[incident_id]
    return IncidentFacts(
        incident,
        tuple(e for e in incident_store.events(conn, incident_id) if e.kind != OWN_KIND),
        tuple(linked),
        alert_store.load_heads(conn, [a.fingerprint for a in linked]),
        tuple(store.action_item_facts(conn, incident_id)),
    )


def slo_facts(slos: SloService, incident: Incident, heads: Iterable[Alert]) -> tuple[SloFact, ...]:
    """The SLOs the incident burned, in words (no SLOs configured: none)."""
    if not slos.specs():
        return ()
    burn = burned_during(slos, incident, heads)
    return tuple(SloFact(row.slo_id, burn_words(row)) for row in burn.slos)


def timeline_entries(events: Iterable[Event]) -> tuple[TimelineEntry, ...]:
    return tuple(TimelineEntry(e.id, e.at, e.kind, e.actor, e.text) for e in events)


def names_of(config: RoutingConfig | None) -> dict[str, str]:
    return {u.id: u.display for u in config.users.values()} if config else {}


def draft_facts(
    facts: IncidentFacts,
    slos: Sequence[SloFact],
    policy: PostmortemPolicy,
    authors: Sequence[str],
    names: Mapping[str, str],
    selection: Sequence[int] | None = None,
) -> DraftFacts:
    alerts = []
    for link in facts.linked:
        head = facts.heads.get(link.fingerprint)
        alerts.append(
            AlertFact(
                link.alertname,
                link.fingerprint,
                head.starts_at if head is not None else link.added_at,
                link.resolved_at,
            )
        )
    return DraftFacts(
        incident=facts.incident,
        zone=ZoneInfo(policy.time_zone),
        timeline=timeline_entries(facts.events),
        selection=frozenset(selection) if selection is not None else None,
        alerts=tuple(alerts),
        slos=tuple(slos),
        action_items=facts.action_items,
        authors=tuple(authors),
        names=names,
    )


def draft(
    facts: IncidentFacts,
    slos: Sequence[SloFact],
    config: RoutingConfig | None,
    actor: str,
    now: datetime,
) -> Postmortem:
    """A new postmortem (not stored yet: id 0) drafted from the facts. Its authors are the
    incident's commander and the person who asked for it (when they are configured users);
    it is required when the policy says so for its severity, and then due a number of
    business days after the incident was resolved."""
    policy = config.postmortems if config is not None else PostmortemPolicy()
    users = config.users if config is not None else {}
    incident = facts.incident
    commander = incident.roles.get("commander")
    authors = tuple(
        dict.fromkeys(u for u in (str(commander) if commander else "", actor) if u in users)
    )
    required = is_required(incident.severity.value, policy) and not incident.drill
    filled = draft_facts(facts, slos, policy, authors, names_of(config))
    return Postmortem(
        id=0,
        incident_id=incident.id,
        state=PostmortemState.DRAFT,
        title=incident.title,
        body=normalise_body(render(policy.template or DEFAULT_TEMPLATE, filled)),
        version=1,
        required=required,
        created_at=now,
        created_by=actor,
        updated_at=now,
        updated_by=actor,
        authors=authors,
        due_at=(
            due_at(incident.resolved_at, policy)
            if required and incident.resolved_at is not None
            else None
        ),
    )
