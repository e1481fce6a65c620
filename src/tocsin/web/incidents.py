"""Pages: the incident list (filters, search, paging) and declaring an incident by hand.

The incident's own page and its actions are in ``incident_page`` and ``incident_actions``;
their routes are part of this module's router, so the site mounts one router for all."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.incidents import Incident, Severity, Status
from tocsin.errors import FieldProblem, InputError
from tocsin.services.runtime import Runtime
from tocsin.web import incident_actions, incident_page
from tocsin.web.incident_filters import PAGE_SIZE, RANGES, Filters
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["router"]

router = web_router()

#: What the declare form sends, and what it starts with.
DECLARE_FIELDS = ("title", "severity", "summary", "service", "policy", "drill")
DECLARE_DEFAULTS = {
    "title": "",
    "severity": "SEV3",
    "summary": "",
    "service": "",
    "policy": "",
    "drill": "",
}


@dataclass(frozen=True)
class Row:
    incident: Incident
    #: How long it has been open (open) or was open (resolved).
    open_for: timedelta


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    #: The id to page on from (None: this is the last page).
    older: int | None
    teams: list[str]
    services: list[str]
    policies: list[str]


def listing(runtime: Runtime, filters: Filters, viewer: Viewer, now: datetime) -> Listing:
    since, until = filters.window(viewer.zone, now)
    found = runtime.incidents.incidents(
        statuses=filters.statuses or None,
        severities=filters.severities or None,
        service=filters.service or None,
        team=filters.team or None,
        since=since,
        until=until,
        search=filters.q or None,
        before_id=filters.before,
        limit=PAGE_SIZE + 1,
    )
    shown = found[:PAGE_SIZE]
    rows = [Row(i, (i.resolved_at or now) - i.created_at) for i in shown]
    config = runtime.current.routing
    teams = sorted(config.teams) if config else []
    if filters.team and filters.team not in teams:
        teams.append(filters.team)
    return Listing(
        rows,
        shown[-1].id if len(found) > PAGE_SIZE else None,
        teams,
        runtime.incidents.services(),
        sorted(config.escalation_policies) if config else [],
    )


async def list_page(
    request: Request,
    viewer: Viewer,
    *,
    typed: Mapping[str, str] | None = None,
    problems: Sequence[FieldProblem] = (),
    status_code: int = 200,
) -> Response:
    """The list, with the declare form as typed (and its problems, after a failed post)."""
    runtime = runtime_of(request)
    filters = Filters.parse(request.query_params) if request.method == "GET" else Filters()
    found = await run_in_threadpool(listing, runtime, filters, viewer, runtime.clock.now())
    by_field: dict[str, list[str]] = {}
    for p in problems:
        field = p.field if p.field in DECLARE_FIELDS else ""
        by_field.setdefault(field, []).append(p.problem)
    return page(
        request,
        "incidents/list.html",
        viewer,
        title="Incidents",
        status_code=status_code,
        found=found,
        filters=filters,
        ranges=RANGES,
        statuses=list(Status),
        severities=list(Severity),
        typed={**DECLARE_DEFAULTS, **(typed or {})},
        problems=by_field,
        declaring=bool(problems),
    )


@router.get("/incidents")
async def incidents(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    return await list_page(request, viewer)


@router.post("/incidents")
async def declare(request: Request, form: Annotated[Acting, Depends(acting)]) -> Response:
    """Declare an incident by hand; off to its page, or the form again with what is wrong."""
    typed = {name: form.text(name) for name in DECLARE_FIELDS}
    service = runtime_of(request).incidents

    def declared() -> Incident:
        return service.declare(
            title=typed["title"],
            severity=typed["severity"] or "SEV3",
            actor=form.viewer.user_id,
            summary=typed["summary"],
            service=typed["service"] or None,
            policy=typed["policy"] or None,
            drill=typed["drill"] == "on",
        )

    try:
        incident = await run_in_threadpool(declared)
    except InputError as exc:
        return await list_page(
            request, form.viewer, typed=typed, problems=exc.problems, status_code=400
        )
    return RedirectResponse(f"/incidents/{incident.id}", 303)


router.include_router(incident_page.router)
router.include_router(incident_actions.router)
