"""Postmortems: draft, read, edit at a version, submit, approve, publish, back to draft; list
them (``docs/postmortems.md``). An edit based on an older version is refused with 409 and
both versions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import pydantic
from fastapi import APIRouter, Query, Request, Response

from tocsin.api.access import acting
from tocsin.api.incidents import MAX_ID, IncidentId
from tocsin.api.responses import error_body, json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso, iso_or_none
from tocsin.domain.postmortems import Edit, Postmortem
from tocsin.errors import FieldProblem, InputError
from tocsin.services.postmortems import PostmortemService, VersionConflict
from tocsin.store.postmortems import Listed

__all__ = ["postmortem_json", "router"]

router = APIRouter(prefix="/api", tags=["Postmortems"])

#: The body's names for the fields the rules name.
_FIELDS = {
    "root_cause_category": "rootCauseCategory",
    "timeline_selection": "timelineSelection",
}


def postmortem_json(pm: Postmortem, now: datetime) -> dict[str, Any]:
    return {
        "id": pm.id,
        "incidentId": pm.incident_id,
        "state": pm.state.value,
        "version": pm.version,
        "title": pm.title,
        "body": pm.body,
        "rootCauseCategory": pm.root_cause_category,
        "authors": list(pm.authors),
        "reviewers": [
            {"user": r.user, "approvedAt": iso_or_none(r.approved_at)} for r in pm.reviewers
        ],
        # Named reviewers who have not approved yet.
        "waitingFor": list(pm.waiting_for),
        # Timeline entry ids the document's timeline shows; null: all of them.
        "timelineSelection": (
            list(pm.timeline_selection) if pm.timeline_selection is not None else None
        ),
        "required": pm.required,
        "dueAt": iso_or_none(pm.due_at),
        "overdue": pm.overdue(now),
        "createdAt": iso(pm.created_at),
        "createdBy": pm.created_by,
        "updatedAt": iso(pm.updated_at),
        "updatedBy": pm.updated_by,
        "submittedAt": iso_or_none(pm.submitted_at),
        "publishedAt": iso_or_none(pm.published_at),
    }


def _listed(row: Listed, now: datetime) -> dict[str, Any]:
    return {
        **postmortem_json(row.postmortem, now),
        "incident": {"title": row.incident_title, "severity": row.severity, "service": row.service},
    }


def _service(request: Request) -> PostmortemService:
    return runtime_of(request).postmortems


def _answer(request: Request, pm: Postmortem, status: int = 200) -> Response:
    return json_response(postmortem_json(pm, runtime_of(request).clock.now()), status)


class _Body(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    user: str | None = pydantic.Field(
        default=None, description="The person acting (a user id from the configuration)"
    )


class Publish(_Body):
    override: bool = pydantic.Field(
        default=False,
        description="Publish before every reviewer approved (an admin or the commander)",
    )


class Change(_Body):
    version: int = pydantic.Field(ge=1, le=MAX_ID, description="The version this edit is based on")
    title: str | None = pydantic.Field(default=None, max_length=500)
    body: str | None = pydantic.Field(default=None, max_length=1_000_000)
    root_cause_category: str | None = pydantic.Field(
        default=None,
        alias="rootCauseCategory",
        max_length=100,
        description="null clears it; absent leaves it",
    )
    authors: list[str] | None = None
    reviewers: list[str] | None = None
    timeline_selection: list[int] | None = pydantic.Field(
        default=None,
        alias="timelineSelection",
        description="Timeline entry ids the document's timeline shows",
    )

    def edit(self) -> Edit:
        category = self.root_cause_category
        sent = "root_cause_category" in self.model_fields_set
        return Edit(
            title=self.title,
            body=self.body,
            root_cause_category=category,
            clear_category=sent and not (category or "").strip(),
            authors=self.authors,
            reviewers=self.reviewers,
            timeline_selection=self.timeline_selection,
        )


@router.get("/incidents/{incident_id}/postmortem", summary="An incident's postmortem")
def get_postmortem(request: Request, incident_id: IncidentId) -> Response:
    return _answer(request, _service(request).get(incident_id))


@router.post(
    "/incidents/{incident_id}/postmortem",
    summary="Draft the incident's postmortem from its facts",
    status_code=201,
)
def create_postmortem(
    request: Request, incident_id: IncidentId, body: _Body | None = None
) -> Response:
    svc, body = _service(request), body or _Body()
    return _answer(request, svc.create(incident_id, acting(request, body.user)), 201)


@router.patch(
    "/incidents/{incident_id}/postmortem",
    summary="Edit the postmortem at the version it was read at (409 if saved since)",
)
def edit_postmortem(request: Request, incident_id: IncidentId, body: Change) -> Response:
    svc = _service(request)
    try:
        pm = svc.edit(incident_id, acting(request, body.user), body.version, body.edit())
    except VersionConflict as exc:
        return json_response(
            {
                "message": str(exc),
                "errors": [],
                "storedVersion": exc.stored,
                "sentVersion": exc.sent,
            },
            409,
        )
    except InputError as exc:
        renamed = [FieldProblem(_FIELDS.get(p.field, p.field), p.problem) for p in exc.problems]
        return json_response(error_body(InputError(renamed)), 400)
    return _answer(request, pm)


@router.post(
    "/incidents/{incident_id}/postmortem/{step}",
    summary="Submit for review, approve, publish, or reopen (back to draft)",
)
def postmortem_step(
    request: Request,
    incident_id: IncidentId,
    step: Literal["submit", "approve", "publish", "reopen"],
    body: Publish | None = None,
) -> Response:
    svc, body = _service(request), body or Publish()
    who = acting(request, body.user)
    if body.override and step != "publish":
        raise InputError(FieldProblem("override", "only publishing can be done with override"))
    if step == "submit":
        pm = svc.submit(incident_id, who)
    elif step == "approve":
        pm = svc.approve(incident_id, who)
    elif step == "publish":
        pm = svc.publish(incident_id, who, override=body.override)
    else:
        pm = svc.reopen(incident_id, who)
    return _answer(request, pm)


@router.get("/postmortems", summary="Postmortems, the soonest due first")
def list_postmortems(
    request: Request,
    state: Annotated[
        Literal["draft", "in_review", "published"] | None, Query(description="Only this state")
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="true: only overdue ones; false: none of them")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Response:
    svc = _service(request)
    now = runtime_of(request).clock.now()
    found = svc.listing(state=state, overdue=overdue, limit=limit)
    return json_response([_listed(row, now) for row in found])
