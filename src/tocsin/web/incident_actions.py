"""What people do to an incident from its page: each form posts to
``/incidents/{id}/<action>``, which calls the incident service as the signed-in person and
sends the browser back to the page (303). A problem with what was typed shows the page again
with the problem next to the form and the text kept (400); an action that no longer applies
(someone else resolved it meanwhile) is a 409 page saying so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.config.durations import parse_duration
from tocsin.domain.incidents import Incident
from tocsin.errors import FieldProblem, InputError, NotFound
from tocsin.services.incidents import IncidentService
from tocsin.web.incident_page import checked_id, incident_view
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, acting, runtime_of

__all__ = ["ACTIONS", "router"]

router = web_router()

#: An action: (the service, the incident, the acting person, the form) -> the incident.
Act = Callable[[IncidentService, int, str, Acting], Incident]


def _length(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise InputError(FieldProblem("duration", str(exc))) from None


def _reassign(svc: IncidentService, incident_id: int, who: str, form: Acting) -> Incident:
    """``to`` is ``user:<id>`` (page that person directly) or ``policy:<name>``."""
    kind, _, name = form.text("to").partition(":")
    if kind == "user" and name:
        return svc.reassign(incident_id, who, users=[name])
    if kind == "policy" and name:
        return svc.reassign(incident_id, who, policy=name)
    raise InputError(FieldProblem("to", "choose a person or an escalation policy"))


ACTIONS: dict[str, Act] = {
    "acknowledge": lambda svc, i, who, form: svc.acknowledge(i, who, via="web"),
    "escalate": lambda svc, i, who, form: svc.escalate(i, who),
    "mitigate": lambda svc, i, who, form: svc.mitigate(i, who, form.text("note")),
    "resolve": lambda svc, i, who, form: svc.resolve(i, who, form.text("note"), via="web"),
    "reopen": lambda svc, i, who, form: svc.reopen(i, who),
    "snooze": lambda svc, i, who, form: svc.snooze(i, who, _length(form.text("duration"))),
    "severity": lambda svc, i, who, form: svc.set_severity(i, form.text("severity"), who),
    "role": lambda svc, i, who, form: svc.assign_role(
        i, form.text("role"), form.text("user"), who, remove=form.text("remove") == "1"
    ),
    "reassign": _reassign,
    "note": lambda svc, i, who, form: svc.add_note(i, form.text("text"), who),
}


@router.post("/incidents/{incident_id}/{action}")
async def act(
    request: Request,
    incident_id: int,
    action: str,
    form: Annotated[Acting, Depends(acting)],
) -> Response:
    todo = ACTIONS.get(action)
    if todo is None:
        raise NotFound(f"there is no action {action!r} on incidents")
    checked_id(incident_id)
    service = runtime_of(request).incidents
    try:
        await run_in_threadpool(todo, service, incident_id, form.viewer.user_id, form)
    except InputError as exc:
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
    return RedirectResponse(f"/incidents/{incident_id}", 303)
