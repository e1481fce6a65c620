"""Page: one incident. Its header (status, severity, who acknowledged, roles), escalation,
the alerts behind it (labels, annotations, runbook and dashboard links), the SLOs it
burned (``services/incident_slos``), the pages sent, the timeline, and forms for what can
be done now (``incident_actions`` handles them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.alerts import Alert
from tocsin.domain.incidents import ROLES, Incident, Severity, Status
from tocsin.errors import FieldProblem, InputError, NotFound
from tocsin.services.incident_slos import IncidentBurn, burn_words, burned_during
from tocsin.services.incidents import IncidentDetail
from tocsin.store.incidents import IncidentAlert
from tocsin.web.action_panel import actions_of
from tocsin.web.incident_comms import comms_of
from tocsin.web.incident_filters import MAX_ID
from tocsin.web.links import web_address
from tocsin.web.remediation_panel import remediation_of
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.runbooks import runbooks_of
from tocsin.web.session import Acting, Viewer, runtime_of, viewing

__all__ = [
    "SNOOZES",
    "available",
    "checked_id",
    "incident_view",
    "posted_action",
    "refused",
    "router",
]

router = web_router()

#: Annotations that name a runbook or a dashboard, in the order they are looked for.
RUNBOOK = ("runbook_url", "runbook")
DASHBOARD = ("dashboard_url", "dashboard", "grafana_url")
#: How long one can snooze for from the page.
SNOOZES = (
    ("15m", "15 minutes"),
    ("30m", "30 minutes"),
    ("1h", "1 hour"),
    ("2h", "2 hours"),
    ("4h", "4 hours"),
    ("8h", "8 hours"),
    ("1d", "1 day"),
)


@dataclass(frozen=True)
class LinkedAlert:
    """An alert of the incident, with what it says as last received (None: pruned since)."""

    link: IncidentAlert
    alert: Alert | None
    #: (what, url): runbook, dashboard, source; only http(s) addresses.
    links: list[tuple[str, str]]


def checked_id(incident_id: int) -> int:
    """An incident number that can exist; NotFound (a 404 page) for any other."""
    if not 1 <= incident_id <= MAX_ID:
        raise NotFound(f"no incident {incident_id}")
    return incident_id


A = TypeVar("A")


def posted_action(actions: Mapping[str, A], action: str, incident_id: int, on: str) -> A:
    """What a form posted to ``.../{incident_id}/.../{action}`` does to ``on`` (incidents,
    postmortems); NotFound for an action there is not, or an incident that cannot exist."""
    todo = actions.get(action)
    if todo is None:
        raise NotFound(f"there is no action {action!r} on {on}")
    checked_id(incident_id)
    return todo


def _links(alert: Alert | None) -> list[tuple[str, str]]:
    if alert is None:
        return []
    found: list[tuple[str, str]] = []
    for what, keys in (("Runbook", RUNBOOK), ("Dashboard", DASHBOARD)):
        for key in keys:
            url = web_address(alert.annotations.get(key, ""))
            if url:
                found.append((what, url))
                break
    source = web_address(alert.generator_url or "")
    if source:
        found.append(("Source", source))
    return found


def holders(incident: Incident) -> list[tuple[str, str]]:
    """(role, person) for everyone holding a role, commander first."""
    found = []
    for role in ROLES:
        held = incident.roles.get(role)
        people = held if isinstance(held, list) else ([held] if held else [])
        found += [(role, str(person)) for person in people]
    return found


def available(incident: Incident) -> set[str]:
    """The actions that make sense for the incident as it is now."""
    status = incident.status
    can = {"severity", "role", "note", "update"}
    if status is Status.TRIGGERED:
        can.add("acknowledge")
    if status in (Status.TRIGGERED, Status.ACKNOWLEDGED):
        can |= {"mitigate", "snooze"}
        if incident.policy is not None and not incident.assignees:
            can.add("escalate")
    if status.is_open:
        can |= {"resolve", "reassign", "responder", "room"}
    if status in (Status.MITIGATED, Status.RESOLVED) and incident.merged_into is None:
        can.add("reopen")
    return can


async def incident_view(
    request: Request,
    viewer: Viewer,
    incident_id: int,
    *,
    problems: Sequence[FieldProblem] = (),
    action: str = "",
    typed: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; after a failed ``action``, its problems next to its form, as typed."""
    runtime = runtime_of(request)
    detail: IncidentDetail = await run_in_threadpool(
        runtime.incidents.detail, checked_id(incident_id)
    )
    incident = detail.view.incident
    alerts = [
        LinkedAlert(a, detail.alerts.get(a.fingerprint), _links(detail.alerts.get(a.fingerprint)))
        for a in detail.view.alerts
    ]
    comms = await run_in_threadpool(comms_of, runtime, incident)
    # No SLOs configured at all: no section to say that none burned.
    slo_burn: IncidentBurn | None = None
    if runtime.slos.specs():
        slo_burn = await run_in_threadpool(
            burned_during, runtime.slos, incident, detail.alerts.values()
        )
    config = runtime.current.routing
    users = sorted(config.users.values(), key=lambda u: u.id) if config else []
    return page(
        request,
        "incidents/page.html",
        viewer,
        title=f"#{incident.id} {incident.title}",
        incident=incident,
        detail=detail,
        alerts=alerts,
        can=available(incident),
        users=users,
        policies=sorted(config.escalation_policies) if config else [],
        roles=ROLES,
        holders=holders(incident),
        severities=list(Severity),
        snoozes=SNOOZES,
        comms=comms,
        slo_burn=slo_burn,
        postmortem=await run_in_threadpool(runtime.postmortems.find, incident.id),
        runbooks=await run_in_threadpool(runbooks_of, runtime, incident.id),
        actions=await run_in_threadpool(actions_of, runtime, incident),
        remediation=await run_in_threadpool(remediation_of, runtime, incident),
        burn_words=burn_words,
        failed=action,
        problems=[p.problem if not p.field else f"{p.field}: {p.problem}" for p in problems],
        typed=dict(typed or {}),
        status_code=status_code,
    )


async def refused(
    request: Request, form: Acting, incident_id: int, action: str, exc: InputError
) -> Response:
    """The page again after ``action``'s form was refused: the problems next to that form,
    and what was typed kept in it (400)."""
    typed = {k: form.text(k) for k in form.form if k != "csrf"}
    return await incident_view(
        request,
        form.viewer,
        incident_id,
        problems=exc.problems,
        action=action,
        typed=typed,
        status_code=400,
    )


@router.get("/incidents/{incident_id}")
async def incident(
    request: Request, incident_id: int, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    return await incident_view(request, viewer, incident_id)
