"""Runbooks (``docs/runbooks.md``): list them (stale, service, alert), read one with its
sections and previous incidents, the ones an incident uses; create, edit (at the version
read: 409 when saved since) and mark reviewed the database's. File runbooks are read-only
(409: edit them in git)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Path, Query, Request, Response

from tocsin.api.access import acting, principal_of
from tocsin.api.incidents import IncidentId
from tocsin.api.openapi import error_responses
from tocsin.api.responses import error_body, json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso, iso_or_none
from tocsin.domain.durations import duration_text
from tocsin.domain.runbooks import Runbook, sections
from tocsin.errors import FieldProblem, InputError
from tocsin.services.runbooks import Fields, RunbookService
from tocsin.web.markdown_preview import preview

__all__ = ["router", "runbook_json"]

router = APIRouter(prefix="/api", tags=["Runbooks"])

Slug = Annotated[str, Path(max_length=100, description="The runbook's slug (its file name)")]
#: The body's names for the fields the service names.
_FIELDS = {"last_reviewed": "lastReviewed", "review_every": "reviewEvery"}


def _day(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def runbook_json(rb: Runbook, *, stale: bool, review_due: date | None) -> dict[str, Any]:
    return {
        "slug": rb.slug,
        "title": rb.title,
        "alerts": list(rb.alerts),
        "matchers": [str(m) for m in rb.matchers],
        "service": rb.service,
        "owner": rb.owner,
        "lastReviewed": _day(rb.last_reviewed),
        "reviewEvery": duration_text(rb.review_every) if rb.review_every else None,
        "reviewDue": _day(review_due),
        "stale": stale,
        # "file" (read-only here: edit it in git) or "database"
        "source": "database" if rb.editable else "file",
        "path": rb.path,
        "version": rb.version,
        "quickAssessment": rb.quick_assessment,
        "url": f"/runbooks/{rb.slug}",
    }


def _service(request: Request) -> RunbookService:
    return runtime_of(request).runbooks


def _may_change(request: Request) -> Callable[[str | None], bool]:
    return principal_of(request).may_change


def _answer(request: Request, rb: Runbook, status: int = 200) -> Response:
    svc = runtime_of(request).runbooks
    now = runtime_of(request).clock.now()
    every = svc.policy.review_every
    return json_response(
        runbook_json(rb, stale=rb.stale(every, now), review_due=rb.review_due(every)), status
    )


class _Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True)

    user: str | None = pydantic.Field(
        default=None, description="The person acting (a user id from the configuration)"
    )


class Write(_Body):
    title: str = pydantic.Field(min_length=1, max_length=500)
    body: str = pydantic.Field(
        default="", max_length=1_000_000, description="Markdown; empty: the standard template"
    )
    alerts: list[str] = pydantic.Field(default_factory=list, description="Alert names")
    matchers: list[str] = pydantic.Field(
        default_factory=list, description='Alertmanager matchers, e.g. service="api"'
    )
    service: str | None = None
    owner: str | None = pydantic.Field(default=None, description="A user id or a team name")
    last_reviewed: str | None = pydantic.Field(default=None, alias="lastReviewed")
    review_every: str | None = pydantic.Field(default=None, alias="reviewEvery")

    def fields(self) -> Fields:
        return Fields(
            title=self.title,
            body=self.body,
            alerts=self.alerts,
            matchers=self.matchers,
            service=self.service,
            owner=self.owner,
            last_reviewed=self.last_reviewed,
            review_every=self.review_every,
        )


class Create(Write):
    slug: str = pydantic.Field(min_length=1, max_length=100)


class Change(Write):
    version: int = pydantic.Field(ge=1, description="The version this edit is based on")


def _renamed(exc: InputError) -> Response:
    renamed = [FieldProblem(_FIELDS.get(p.field, p.field), p.problem) for p in exc.problems]
    return json_response(error_body(InputError(renamed)), 400)


@router.get("/runbooks", summary="Runbooks by slug, stale ones flagged")
def list_runbooks(
    request: Request,
    stale: Annotated[bool | None, Query(description="true: only stale ones; false: none")] = None,
    service: Annotated[str | None, Query(max_length=200)] = None,
    alert: Annotated[
        str | None, Query(max_length=200, description="Only those an alert of this name matches")
    ] = None,
) -> Response:
    svc = _service(request)
    rows = svc.listing(stale=stale, service=service, alert=alert)
    return json_response(
        [
            {**runbook_json(r.runbook, stale=r.stale, review_due=r.review_due), "hidden": r.hidden}
            for r in rows
        ]
    )


@router.get("/runbooks/{slug}", summary="A runbook: its Markdown, sections, previous incidents")
def get_runbook(request: Request, slug: Slug) -> Response:
    found = _service(request).page(slug)
    rb = found.runbook
    return json_response(
        {
            **runbook_json(rb, stale=found.stale, review_due=found.review_due),
            "body": rb.body,
            "sections": [
                {"title": s.title, "markdown": s.body, "html": str(preview(s.body))}
                for s in sections(found.body)
            ],
            "previousIncidents": [
                {
                    "id": u.incident_id,
                    "title": u.title,
                    "severity": u.severity.value,
                    "status": u.status.value,
                    "createdAt": iso(u.created_at),
                    "resolvedAt": iso_or_none(u.resolved_at),
                    "timeToResolveSeconds": (
                        int(u.time_to_resolve.total_seconds()) if u.time_to_resolve else None
                    ),
                    "url": f"/incidents/{u.incident_id}",
                }
                for u in found.previous
            ],
        }
    )


@router.post(
    "/runbooks",
    summary="Write a runbook (kept in the database)",
    status_code=201,
    responses=error_responses(409),  # the slug is taken
)
def create_runbook(request: Request, body: Create) -> Response:
    svc = _service(request)
    try:
        rb = svc.create(
            body.slug.strip(), body.fields(), acting(request, body.user), _may_change(request)
        )
    except InputError as exc:
        return _renamed(exc)
    return _answer(request, rb, 201)


@router.put(
    "/runbooks/{slug}",
    summary="Replace a database runbook at the version it was read at (409 if saved since)",
)
def update_runbook(request: Request, slug: Slug, body: Change) -> Response:
    svc = _service(request)
    try:
        rb = svc.update(
            slug, body.version, body.fields(), acting(request, body.user), _may_change(request)
        )
    except InputError as exc:
        return _renamed(exc)
    return _answer(request, rb)


@router.post("/runbooks/{slug}/review", summary="Mark a database runbook reviewed today")
def review_runbook(request: Request, slug: Slug, body: _Body | None = None) -> Response:
    svc, body = _service(request), body or _Body()
    return _answer(request, svc.review(slug, acting(request, body.user), _may_change(request)))


@router.get("/incidents/{incident_id}/runbooks", summary="The runbooks an incident uses")
def incident_runbooks(request: Request, incident_id: IncidentId) -> Response:
    found = _service(request).for_incident(incident_id)
    every = runtime_of(request).runbooks.policy.review_every
    return json_response(
        [
            {
                **runbook_json(x.runbook, stale=x.stale, review_due=x.runbook.review_due(every)),
                "firstMatchedAt": _when(x.first_matched_at),
            }
            for x in found
        ]
    )


def _when(at: datetime | None) -> str | None:
    return iso_or_none(at)
