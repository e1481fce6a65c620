"""What people do to an incident from its page: each form posts to
``/incidents/{id}/<action>``, which calls the incident service as the signed-in person and
sends the browser back to the page (303). A problem with what was typed shows the page again
with the problem next to the form and the text kept (400); an action that no longer applies
(someone else resolved it meanwhile) is a 409 page saying so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.config.durations import duration_input
from tocsin.domain.incidents import Incident
from tocsin.errors import FieldProblem, InputError
from tocsin.services.runtime import Runtime
from tocsin.web.incident_comms import COMMS_ACTIONS
from tocsin.web.incident_page import posted_action, refused
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, acting, runtime_of

__all__ = ["ACTIONS", "router"]

router = web_router()

#: An action: (the runtime, the incident, the acting person, the form) -> the incident.
Act = Callable[[Runtime, int, str, Acting], Incident]


def _reassign(rt: Runtime, incident_id: int, who: str, form: Acting) -> Incident:
    """``to`` is ``user:<id>`` (page that person directly) or ``policy:<name>``."""
    svc = rt.incidents
    kind, _, name = form.text("to").partition(":")
    if kind == "user" and name:
        return svc.reassign(incident_id, who, users=[name])
    if kind == "policy" and name:
        return svc.reassign(incident_id, who, policy=name)
    raise InputError(FieldProblem("to", "choose a person or an escalation policy"))


ACTIONS: dict[str, Act] = {
    "acknowledge": lambda rt, i, who, form: rt.incidents.acknowledge(i, who, via="web"),
    "escalate": lambda rt, i, who, form: rt.incidents.escalate(i, who),
    "mitigate": lambda rt, i, who, form: rt.incidents.mitigate(i, who, form.text("note")),
    "resolve": lambda rt, i, who, form: rt.incidents.resolve(i, who, form.text("note"), via="web"),
    "reopen": lambda rt, i, who, form: rt.incidents.reopen(i, who),
    "snooze": lambda rt, i, who, form: rt.incidents.snooze(
        i, who, duration_input(form.text("duration"), "duration")
    ),
    "severity": lambda rt, i, who, form: rt.incidents.set_severity(i, form.text("severity"), who),
    "role": lambda rt, i, who, form: rt.incidents.assign_role(
        i, form.text("role"), form.text("user"), who, remove=form.text("remove") == "1"
    ),
    "reassign": _reassign,
    "note": lambda rt, i, who, form: rt.incidents.add_note(i, form.text("text"), who),
    **COMMS_ACTIONS,
}


@router.post("/incidents/{incident_id}/{action}")
async def act(
    request: Request,
    incident_id: int,
    action: str,
    form: Annotated[Acting, Depends(acting)],
) -> Response:
    todo = posted_action(ACTIONS, action, incident_id, "incidents")
    runtime = runtime_of(request)
    try:
        await run_in_threadpool(todo, runtime, incident_id, form.viewer.user_id, form)
    except InputError as exc:
        return await refused(request, form, incident_id, action, exc)
    return RedirectResponse(f"/incidents/{incident_id}", 303)
