"""Incidents: list, declare, look at, and act on (acknowledge, escalate, reassign, snooze,
severity, roles, notes, mitigate, resolve, reopen, merge)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic
from fastapi import APIRouter, Path, Query, Request, Response

from tocsin.api.access import acting, allow, principal_of
from tocsin.api.repeats import repeats_json
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import instant, iso, iso_or_none, minutes
from tocsin.config.durations import duration_input
from tocsin.domain.access import Need, Principal
from tocsin.domain.incidents import Incident
from tocsin.services.access import incident_team, service_team
from tocsin.services.incident_slos import IncidentBurn, SloBurn, burned_during
from tocsin.services.incidents import IncidentService
from tocsin.store.incidents import Event, IncidentAlert
from tocsin.store.messages import Message
from tocsin.web.contact_words import shown

__all__ = ["incident_json", "router"]

router = APIRouter(prefix="/api", tags=["Incidents"])

#: Ids beyond this are refused as input (they fit in a double, so JSON clients agree).
MAX_ID = 2**53
IncidentId = Annotated[int, Path(ge=1, le=MAX_ID, description="The incident's number")]


def incident_json(i: Incident) -> dict[str, Any]:
    return {
        "id": i.id,
        "title": i.title,
        "summary": i.summary,
        "status": i.status.value,
        "severity": i.severity.value,
        "urgency": i.urgency.value,
        "service": i.service,
        "team": i.team,
        "policy": i.policy,
        "createdAt": iso_or_none(i.created_at),
        "updatedAt": iso_or_none(i.updated_at),
        "acknowledgedAt": iso_or_none(i.acknowledged_at),
        "acknowledgedBy": i.acknowledged_by,
        "mitigatedAt": iso_or_none(i.mitigated_at),
        "resolvedAt": iso_or_none(i.resolved_at),
        "resolvedBy": i.resolved_by,
        "snoozedUntil": iso_or_none(i.snoozed_until),
        "roles": dict(i.roles),
        "assignees": list(i.assignees),
        "previousId": i.previous_id,
        "mergedInto": i.merged_into,
        "replyCode": i.reply_code,
        "nextUpdateAt": iso_or_none(i.next_update_at),
        "drill": i.drill,
        # The level that fires next if nobody acknowledges (past the last: exhausted).
        "escalation": {"nextLevel": i.level + 1, "pass": i.loop + 1},
    }


def _event(e: Event) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": iso(e.at),
        "kind": e.kind,
        "actor": e.actor,
        "text": e.text,
        "data": dict(e.data),
    }


def _alert(a: IncidentAlert) -> dict[str, Any]:
    return {
        "fingerprint": a.fingerprint,
        "alertname": a.alertname,
        "firing": a.firing,
        "addedAt": iso(a.added_at),
        "resolvedAt": iso_or_none(a.resolved_at),
    }


def _page(m: Message, principal: Principal) -> dict[str, Any]:
    # Phone numbers, webhook URLs and ntfy topics: in full to the person and to admins.
    full = principal.may(Need.ADMIN) or principal.user == m.user
    return {
        "id": m.id,
        "user": m.user,
        "method": m.method,
        "address": shown(m.method, m.address, full)[0],
        "status": m.status,
        "attempts": m.attempts,
        "lastError": m.last_error,
        "createdAt": iso(m.created_at),
        "sentAt": iso_or_none(m.sent_at),
    }


def _slo(b: SloBurn) -> dict[str, Any]:
    return {
        "id": b.slo_id,
        "service": b.service,
        "name": b.name,
        "window": b.window,
        # One of the incident's alerts is this SLO's burn-rate alert.
        "linkedByAlert": b.linked,
        "events": None if b.counts is None else {"good": b.counts.good, "total": b.counts.total},
        "burnRate": b.burn_rate,
        "errorBudget": {
            "minutes": minutes(b.budget_time),
            # The share of the period's budget the incident consumed, and as time.
            "consumed": b.consumed,
            "consumedMinutes": minutes(b.consumed_time),
        },
        # Why the SLI cannot be read now (the figures are null), else null.
        "unavailable": b.unavailable,
    }


def _slo_span(burn: IncidentBurn) -> dict[str, Any]:
    return {"start": iso(burn.start), "end": iso(burn.end), "ongoing": burn.ongoing}


def _service(request: Request) -> IncidentService:
    return runtime_of(request).incidents


class _Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class Actor(_Body):
    user: str | None = pydantic.Field(
        default=None, description="The person acting (a user id from the configuration)"
    )

    def who(self, request: Request) -> str:
        return acting(request, self.user)


class Declared(Actor):
    title: str = pydantic.Field(min_length=1, max_length=500)
    severity: str = "SEV3"
    summary: str = ""
    service: str | None = pydantic.Field(default=None, max_length=200)
    team: str | None = pydantic.Field(default=None, max_length=200)
    policy: str | None = pydantic.Field(default=None, description="Escalation policy to page")
    urgency: Literal["high", "low"] | None = None
    assignees: list[str] = pydantic.Field(default_factory=list)
    drill: bool = pydantic.Field(
        default=False, description="A practice incident: pages marked DRILL, not in metrics"
    )


class Noted(Actor):
    note: str = ""


class Note(Actor):
    text: str = pydantic.Field(min_length=1, max_length=10_000)


class SeverityChange(Actor):
    severity: str


class RoleChange(Actor):
    role: Literal["commander", "communications", "investigator"]
    assignee: str = pydantic.Field(description="Who takes (or leaves) the role")
    remove: bool = False


class Snooze(Actor):
    duration: str = pydantic.Field(description="e.g. 30m, 2h")


class Reassign(Actor):
    users: list[str] = pydantic.Field(default_factory=list)
    policy: str | None = None


class Merge(Actor):
    into: int = pydantic.Field(ge=1, le=MAX_ID, description="The incident to merge into")


@router.get("/incidents", summary="Incidents, newest first, with filters")
def list_incidents(
    request: Request,
    status: Annotated[list[str] | None, Query()] = None,
    severity: Annotated[list[str] | None, Query()] = None,
    service: str | None = None,
    team: str | None = None,
    since: str | None = None,
    q: Annotated[str | None, Query(description="Words in the title or summary")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    svc = _service(request)
    found = svc.incidents(
        statuses=status,
        severities=severity,
        service=service,
        team=team,
        since=instant(since, "since", runtime_of(request).clock.now()) if since else None,
        search=q,
        limit=limit,
    )
    return json_response([incident_json(i) for i in found])


@router.post("/incidents", summary="Declare an incident by hand", status_code=201)
def declare(request: Request, body: Declared) -> Response:
    svc = _service(request)
    # A token bound to a team declares only its team's incidents (who they would page).
    config = runtime_of(request).current()
    policy = config.escalation_policies.get(body.policy) if config and body.policy else None
    team = body.team or (policy.team if policy else None) or service_team(config, body.service)
    allow(request, Need.RESPOND, team)
    incident = svc.declare(
        title=body.title,
        severity=body.severity,
        actor=body.who(request),
        summary=body.summary,
        service=body.service,
        team=body.team,
        policy=body.policy,
        urgency=body.urgency,
        assignees=body.assignees,
        drill=body.drill,
    )
    return json_response(incident_json(incident), 201)


@router.get(
    "/incidents/{incident_id}",
    summary="An incident with its alerts, timeline, pages and the SLOs it burned",
)
def get_incident(request: Request, incident_id: IncidentId) -> Response:
    detail = _service(request).detail(incident_id)
    view = detail.view
    burn = burned_during(runtime_of(request).slos, view.incident, detail.alerts.values())
    return json_response(
        {
            **incident_json(view.incident),
            "alerts": [_alert(a) for a in view.alerts],
            "timeline": [_event(e) for e in view.timeline],
            "pages": [_page(m, principal_of(request)) for m in view.pages],
            # The SLOs it burned over sloSpan, the most budget consumed first.
            "slos": [_slo(b) for b in burn.slos],
            "sloSpan": _slo_span(burn),
            # The earlier incidents it repeats (docs/action-items.md), newest first.
            "repeats": repeats_json(request, incident_id),
        }
    )


@router.get("/incidents/{incident_id}/timeline", summary="Timeline entries after an id")
def get_timeline(
    request: Request,
    incident_id: IncidentId,
    after: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    found = _service(request).events_after(incident_id, after)
    return json_response([_event(e) for e in found])


def _done(incident: Incident) -> Response:
    return json_response(incident_json(incident))


@router.post("/incidents/{incident_id}/acknowledge", summary="Acknowledge: stop paging")
def acknowledge(request: Request, incident_id: IncidentId, body: Actor | None = None) -> Response:
    svc, body = _service(request), body or Actor()
    return _done(svc.acknowledge(incident_id, body.who(request)))


@router.post("/incidents/{incident_id}/escalate", summary="Page the next level now")
def escalate(request: Request, incident_id: IncidentId, body: Actor | None = None) -> Response:
    svc, body = _service(request), body or Actor()
    return _done(svc.escalate(incident_id, body.who(request)))


@router.post("/incidents/{incident_id}/mitigate", summary="The impact has stopped")
def mitigate(request: Request, incident_id: IncidentId, body: Noted | None = None) -> Response:
    svc, body = _service(request), body or Noted()
    return _done(svc.mitigate(incident_id, body.who(request), body.note))


@router.post("/incidents/{incident_id}/resolve", summary="Resolve")
def resolve(request: Request, incident_id: IncidentId, body: Noted | None = None) -> Response:
    svc, body = _service(request), body or Noted()
    return _done(svc.resolve(incident_id, body.who(request), body.note))


@router.post("/incidents/{incident_id}/reopen", summary="Reopen: page again from level 1")
def reopen(request: Request, incident_id: IncidentId, body: Actor | None = None) -> Response:
    svc, body = _service(request), body or Actor()
    return _done(svc.reopen(incident_id, body.who(request)))


@router.post("/incidents/{incident_id}/snooze", summary="Quiet for a while, then page again")
def snooze(request: Request, incident_id: IncidentId, body: Snooze) -> Response:
    svc = _service(request)
    length = duration_input(body.duration, "duration")
    return _done(svc.snooze(incident_id, body.who(request), length))


@router.post("/incidents/{incident_id}/severity", summary="Change the severity")
def severity(request: Request, incident_id: IncidentId, body: SeverityChange) -> Response:
    svc = _service(request)
    return _done(svc.set_severity(incident_id, body.severity, body.who(request)))


@router.post("/incidents/{incident_id}/roles", summary="Assign or remove a role")
def roles(request: Request, incident_id: IncidentId, body: RoleChange) -> Response:
    svc = _service(request)
    return _done(
        svc.assign_role(
            incident_id, body.role, body.assignee, body.who(request), remove=body.remove
        )
    )


@router.post("/incidents/{incident_id}/notes", summary="Add a note to the timeline")
def note(request: Request, incident_id: IncidentId, body: Note) -> Response:
    svc = _service(request)
    return _done(svc.add_note(incident_id, body.text, body.who(request)))


@router.post("/incidents/{incident_id}/reassign", summary="Page other people or another policy")
def reassign(request: Request, incident_id: IncidentId, body: Reassign) -> Response:
    svc = _service(request)
    return _done(svc.reassign(incident_id, body.who(request), users=body.users, policy=body.policy))


@router.post("/incidents/{incident_id}/merge", summary="Merge this incident into another")
def merge(request: Request, incident_id: IncidentId, body: Merge) -> Response:
    svc = _service(request)
    allow(request, Need.RESPOND, incident_team(runtime_of(request).current(), svc.get(body.into)))
    return _done(svc.merge(incident_id, body.into, body.who(request)))
