"""Pages: remediation. From an incident's page a signed-in person runs an action, or a dry
run (``/incidents/{id}/remediation/run``), and approves or rejects a dangerous run someone else
asked for (``/remediation/runs/{id}/approve|reject``); ``/remediation`` lists the actions
and the latest runs. Every form carries the session's CSRF secret."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.errors import FieldProblem, InputError
from tocsin.services.remediation import RateLimited
from tocsin.web.incident_page import checked_id, incident_view, refused
from tocsin.web.render import page
from tocsin.web.routing import RowId, web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["router"]

router = web_router()


@router.get("/remediation")
async def overview(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    runtime = runtime_of(request)
    actions = runtime.remediation.actions()
    runs = await run_in_threadpool(lambda: runtime.remediation.runs(limit=50))
    return page(
        request, "remediation/list.html", viewer, title="Remediation", actions=actions, runs=runs
    )


@router.post("/incidents/{incident_id}/remediation/run")
async def run(
    request: Request, incident_id: int, form: Annotated[Acting, Depends(acting)]
) -> Response:
    checked_id(incident_id)
    runtime = runtime_of(request)
    try:
        made = await run_in_threadpool(
            lambda: runtime.remediation.request(
                incident_id,
                form.text("action"),
                form.viewer.user_id,
                dry_run=form.text("dry_run") in ("1", "true", "on"),
            )
        )
    except InputError as exc:
        return await refused(request, form, incident_id, "remediation", exc)
    except RateLimited as exc:
        return await incident_view(
            request,
            form.viewer,
            incident_id,
            problems=[FieldProblem("action", str(exc))],
            action="remediation",
            status_code=429,
        )
    return RedirectResponse(f"/incidents/{incident_id}#remediation-run-{made.id}", 303)


async def _decide(request: Request, run_id: int, form: Acting, approve: bool) -> Response:
    runtime = runtime_of(request)
    service = runtime.remediation
    decide = service.approve if approve else service.reject
    found = await run_in_threadpool(service.run, run_id)
    try:
        await run_in_threadpool(
            lambda: decide(run_id, form.viewer.user_id, admin=form.viewer.admin)
        )
    except InputError as exc:
        return await refused(request, form, found.incident_id, "remediation", exc)
    return RedirectResponse(f"/incidents/{found.incident_id}#remediation-run-{run_id}", 303)


@router.post("/remediation/runs/{run_id}/approve")
async def approve(
    request: Request, run_id: RowId, form: Annotated[Acting, Depends(acting)]
) -> Response:
    return await _decide(request, run_id, form, True)


@router.post("/remediation/runs/{run_id}/reject")
async def reject(
    request: Request, run_id: RowId, form: Annotated[Acting, Depends(acting)]
) -> Response:
    return await _decide(request, run_id, form, False)
